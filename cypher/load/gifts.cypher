// name: load/gifts
// description: Merge a batch of GIFTED relationships (giver sends a product to a recipient as a gift).
// param giver_id: list<string>
// param recipient_id: list<string>
// param product_id: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// returns: rows: int
// mode: write
UNWIND range(0, size($giver_id) - 1) AS i
MATCH (g:User {user_id: $giver_id[i]})
MATCH (t:User {user_id: $recipient_id[i]})
MERGE (g)-[:GIFTED {product_id: $product_id[i], at: datetime({epochMillis: $at[i]})}]->(t)
RETURN count(*) AS rows
