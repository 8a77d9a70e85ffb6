// name: load/shares
// description: Create a batch of SHARED relationships unless the same share exists (sharer sends a product to a recipient).
// param sharer_id: list<string>
// param recipient_id: list<string>
// param product_id: list<string>
// param channel: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// param inferred: list<bool?> -- true when the importer inferred the sharer
// returns: rows: int
// mode: write
// The existence check is a pattern comprehension between the two bound users,
// which plans as Expand(Into). A MERGE or EXISTS {} here plans as a seek on the
// SHARED.product_id index and scans every share of the product for each row.
UNWIND range(0, size($sharer_id) - 1) AS i
MATCH (s:User {user_id: $sharer_id[i]})
MATCH (t:User {user_id: $recipient_id[i]})
WITH s, t, i, datetime({epochMillis: $at[i]}) AS at
WHERE NONE(r IN [(s)-[x:SHARED]->(t) | x] WHERE r.at = at AND r.product_id = $product_id[i] AND r.channel = $channel[i])
CREATE (s)-[:SHARED {product_id: $product_id[i], channel: $channel[i], at: at,
                     inferred: $inferred[i]}]->(t)
RETURN count(*) AS rows
