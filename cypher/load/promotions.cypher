// name: load/promotions
// description: Merge a batch of PROMOTED relationships (promoter pushes product on a channel at a time).
// param user_id: list<string>
// param product_id: list<string>
// param channel: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// returns: rows: int
// mode: write
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u:User {user_id: $user_id[i]})
MATCH (p:Product {product_id: $product_id[i]})
MERGE (u)-[:PROMOTED {channel: $channel[i], at: datetime({epochMillis: $at[i]})}]->(p)
RETURN count(*) AS rows
