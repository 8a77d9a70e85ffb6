// name: load/shares
// description: Merge a batch of SHARED relationships (sharer sends a product to a recipient).
// param sharer_id: list<string>
// param recipient_id: list<string>
// param product_id: list<string>
// param channel: list<string>
// param at: list<int> -- epoch milliseconds, UTC
// param inferred: list<bool?> -- true when the importer inferred the sharer
// returns: rows: int
// mode: write
UNWIND range(0, size($sharer_id) - 1) AS i
MATCH (s:User {user_id: $sharer_id[i]})
MATCH (t:User {user_id: $recipient_id[i]})
MERGE (s)-[r:SHARED {product_id: $product_id[i], channel: $channel[i],
                     at: datetime({epochMillis: $at[i]})}]->(t)
SET r.inferred = $inferred[i]
RETURN count(*) AS rows
