// name: load/gifts
// description: Create a batch of GIFTED relationships unless the same gift exists (giver sends a product as a gift).
// param giver_id: list<string>
// param recipient_id: list<string>
// param product_id: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// returns: rows: int
// mode: write
// Existence check by pattern comprehension between the bound users (Expand(Into)),
// not MERGE, which would scan the GIFTED.product_id index: see load/shares.
UNWIND range(0, size($giver_id) - 1) AS i
MATCH (g:User {user_id: $giver_id[i]})
MATCH (t:User {user_id: $recipient_id[i]})
WITH g, t, i, datetime({epochMillis: $at[i]}) AS at
WHERE NONE(r IN [(g)-[x:GIFTED]->(t) | x] WHERE r.at = at AND r.product_id = $product_id[i])
CREATE (g)-[:GIFTED {product_id: $product_id[i], at: at}]->(t)
RETURN count(*) AS rows
