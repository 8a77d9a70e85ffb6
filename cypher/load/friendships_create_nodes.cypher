// name: load/friendships_create_nodes
// description: Create a batch of FRIEND relationships between users given by internal node id (fast path: used while none exist yet; the loader resolves the ids with load/user_nodes in the same load).
// param a: list<int> -- internal node id of user_a
// param b: list<int> -- internal node id of user_b
// param since: list<int?> -- epoch milliseconds, UTC
// param probability: list<float?>
// returns: rows: int
// mode: write
UNWIND range(0, size($a) - 1) AS i
MATCH (x:User) WHERE id(x) = $a[i]
MATCH (y:User) WHERE id(y) = $b[i]
CREATE (x)-[r:FRIEND]->(y)
SET r.since = CASE WHEN $since[i] IS NULL THEN null ELSE datetime({epochMillis: $since[i]}) END,
    r.probability = $probability[i]
RETURN count(*) AS rows
