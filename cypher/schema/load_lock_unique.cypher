// name: schema/load_lock_unique
// description: Uniqueness constraint on DiffusionLock.name, so that two loads starting at once make one lock node.
// returns: nothing
// mode: schema
CREATE CONSTRAINT diffusion_lock_name IF NOT EXISTS FOR (l:DiffusionLock) REQUIRE l.name IS UNIQUE
