// name: load/friendships_merge
// description: Create a batch of FRIEND relationships unless present in either direction (resume path).
// param user_a: list<string>
// param user_b: list<string>
// param since: list<int?> -- epoch milliseconds, UTC
// param probability: list<float?>
// returns: rows: int
// mode: write
UNWIND range(0, size($user_a) - 1) AS i
MATCH (a:User {user_id: $user_a[i]})
MATCH (b:User {user_id: $user_b[i]})
WITH a, b, i
WHERE NOT EXISTS { (a)-[:FRIEND]-(b) }
CREATE (a)-[r:FRIEND]->(b)
SET r.since = CASE WHEN $since[i] IS NULL THEN null ELSE datetime({epochMillis: $since[i]}) END,
    r.probability = $probability[i]
RETURN count(*) AS rows
