// name: load/likes
// description: Merge a batch of LIKED relationships (a ♡ endorsement; one per user and product).
// param user_id: list<string>
// param product_id: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// returns: rows: int
// mode: write
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u:User {user_id: $user_id[i]})
MATCH (p:Product {product_id: $product_id[i]})
MERGE (u)-[r:LIKED]->(p)
SET r.at = datetime({epochMillis: $at[i]})
RETURN count(*) AS rows
