// name: load/follows
// description: Create a batch of FOLLOWS relationships (follower)-[:FOLLOWS]->(followee) unless that one exists; direction matters, so b following a is another row.
// param follower_id: list<string>
// param followee_id: list<string>
// param since: list<int?> -- epoch milliseconds, UTC
// param probability: list<float?>
// returns: rows: int
// mode: write
UNWIND range(0, size($follower_id) - 1) AS i
MATCH (f:User {user_id: $follower_id[i]})
MATCH (t:User {user_id: $followee_id[i]})
WITH f, t, i
WHERE NOT EXISTS { (f)-[:FOLLOWS]->(t) }
CREATE (f)-[r:FOLLOWS]->(t)
SET r.since = CASE WHEN $since[i] IS NULL THEN null ELSE datetime({epochMillis: $since[i]}) END,
    r.probability = $probability[i]
RETURN count(*) AS rows
