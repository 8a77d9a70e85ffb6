// name: load/purchases
// description: Merge a batch of PURCHASED relationships.
// param user_id: list<string>
// param product_id: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// param channel: list<string?>
// returns: rows: int
// mode: write
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u:User {user_id: $user_id[i]})
MATCH (p:Product {product_id: $product_id[i]})
MERGE (u)-[r:PURCHASED {at: datetime({epochMillis: $at[i]})}]->(p)
SET r.channel = $channel[i]
RETURN count(*) AS rows
