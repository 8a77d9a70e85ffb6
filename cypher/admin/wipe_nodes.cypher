// name: admin/wipe_nodes
// description: Delete up to $batch nodes, once their relationships are gone; the load lock's node stays (a load that replaces the database holds it).
// param batch: int -- nodes to delete in this transaction
// returns: deleted: int
// mode: write
MATCH (n)
WHERE NOT n:DiffusionLock
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(n) AS deleted
