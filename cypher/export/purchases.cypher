// name: export/purchases
// description: Every purchase, for `diffusion export`.
// returns: user_id, product_id: string; at: int (epoch ms); channel: string
// mode: read
MATCH (u:User)-[r:PURCHASED]->(p:Product)
RETURN u.user_id AS user_id, p.product_id AS product_id, r.at.epochMillis AS at,
       r.channel AS channel
