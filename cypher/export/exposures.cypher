// name: export/exposures
// description: Every exposure, for `diffusion export`.
// returns: user_id, product_id: string; at: int (epoch ms); channel, via_user_id, domain: string
// mode: read
MATCH (u:User)-[r:EXPOSED]->(p:Product)
RETURN u.user_id AS user_id, p.product_id AS product_id, r.at.epochMillis AS at,
       r.channel AS channel, r.via_user_id AS via_user_id, r.domain AS domain
