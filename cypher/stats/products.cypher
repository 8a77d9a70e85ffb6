// name: stats/products
// description: Per-product counts of promoters, shares, likes, purchases and gifts.
// returns: product_id, name, category: string; promoters, shares, likes, purchases, buyers, gifts: int
// mode: read
MATCH (p:Product)
RETURN p.product_id AS product_id, p.name AS name, p.category AS category,
       COUNT { MATCH (u:User)-[:PROMOTED]->(p) RETURN DISTINCT u } AS promoters,
       COUNT { MATCH ()-[s:SHARED]->() WHERE s.product_id = p.product_id } AS shares,
       COUNT { (:User)-[:LIKED]->(p) } AS likes,
       COUNT { (:User)-[:PURCHASED]->(p) } AS purchases,
       COUNT { MATCH (u:User)-[:PURCHASED]->(p) RETURN DISTINCT u } AS buyers,
       COUNT { MATCH ()-[g:GIFTED]->() WHERE g.product_id = p.product_id } AS gifts
ORDER BY p.product_id
