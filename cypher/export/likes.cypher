// name: export/likes
// description: Every ♡ endorsement, for `diffusion export`.
// returns: user_id, product_id: string; at: int (epoch ms)
// mode: read
MATCH (u:User)-[r:LIKED]->(p:Product)
RETURN u.user_id AS user_id, p.product_id AS product_id, r.at.epochMillis AS at
