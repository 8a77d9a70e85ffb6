// name: admin/lock_take
// description: Take the write lock on the load lock's node; the transaction that runs this stays open for the whole load, so a second load waits here, and a load whose client dies releases it with its transaction.
// param name: string -- which lock
// param holder: string -- who takes it (host, pid), for the record
// returns: name: string
// mode: write
MATCH (l:DiffusionLock {name: $name})
SET l.holder = $holder, l.since = datetime()
RETURN l.name AS name
