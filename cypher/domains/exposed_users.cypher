// name: domains/exposed_users
// description: Distinct users exposed to each product (any channel or domain).
// param product_ids: list<string>
// returns: product_id: string; users: int
// mode: read
MATCH (p:Product) WHERE p.product_id IN $product_ids
MATCH (u:User)-[:EXPOSED]->(p)
RETURN p.product_id AS product_id, count(DISTINCT u) AS users
ORDER BY product_id
