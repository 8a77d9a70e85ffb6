// name: export/shares
// description: Every share, for `diffusion export`.
// returns: sharer_id, recipient_id, product_id, channel: string; at: int (epoch ms); inferred: bool
// mode: read
MATCH (s:User)-[r:SHARED]->(t:User)
RETURN s.user_id AS sharer_id, t.user_id AS recipient_id, r.product_id AS product_id,
       r.channel AS channel, r.at.epochMillis AS at, r.inferred AS inferred
