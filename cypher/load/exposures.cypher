// name: load/exposures
// description: Merge a batch of EXPOSED relationships (a user saw a product, privately or publicly).
// param user_id: list<string>
// param product_id: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// param channel: list<string>
// param via_user_id: list<string?>
// param domain: list<string>
// returns: rows: int
// mode: write
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u:User {user_id: $user_id[i]})
MATCH (p:Product {product_id: $product_id[i]})
MERGE (u)-[r:EXPOSED {channel: $channel[i], at: datetime({epochMillis: $at[i]})}]->(p)
SET r.via_user_id = $via_user_id[i], r.domain = $domain[i]
RETURN count(*) AS rows
