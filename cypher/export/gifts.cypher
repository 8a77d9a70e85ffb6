// name: export/gifts
// description: Every gift, for `diffusion export`.
// returns: giver_id, recipient_id, product_id: string; at: int (epoch ms)
// mode: read
MATCH (g:User)-[r:GIFTED]->(t:User)
RETURN g.user_id AS giver_id, t.user_id AS recipient_id, r.product_id AS product_id,
       r.at.epochMillis AS at
