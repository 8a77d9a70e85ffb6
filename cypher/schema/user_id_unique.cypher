// name: schema/user_id_unique
// description: Uniqueness constraint on User.user_id (also the index every load and lookup uses).
// returns: nothing
// mode: schema
CREATE CONSTRAINT user_id_unique IF NOT EXISTS FOR (u:User) REQUIRE u.user_id IS UNIQUE
