// name: admin/lock_node
// description: Make sure the load lock's node exists (it is locked, never deleted).
// param name: string -- which lock
// returns: nothing
// mode: write
MERGE (:DiffusionLock {name: $name})
