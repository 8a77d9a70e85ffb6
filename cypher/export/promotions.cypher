// name: export/promotions
// description: Every promotion, for `diffusion export`.
// returns: user_id, product_id, channel: string; at: int (epoch ms)
// mode: read
MATCH (u:User)-[r:PROMOTED]->(p:Product)
RETURN u.user_id AS user_id, p.product_id AS product_id, r.channel AS channel,
       r.at.epochMillis AS at
