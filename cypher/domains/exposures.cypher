// name: domains/exposures
// description: Exposure rows and distinct exposed users per product, channel and domain.
// param product_ids: list<string>
// returns: product_id, channel, domain: string; exposures, users: int
// mode: read
MATCH (p:Product) WHERE p.product_id IN $product_ids
MATCH (u:User)-[e:EXPOSED]->(p)
RETURN p.product_id AS product_id, e.channel AS channel, e.domain AS domain,
       count(*) AS exposures, count(DISTINCT u) AS users
ORDER BY product_id, channel, domain
