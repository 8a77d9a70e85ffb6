// name: reach/product_seeds
// description: A product's users by role (promoters, sharers, endorsers (♡), buyers): one row per role that has users, its user ids in order.
// param product_id: string
// returns: role: string, user_ids: list<string>
// mode: read
MATCH (p:Product {product_id: $product_id})
CALL {
  WITH p MATCH (u:User)-[:PROMOTED]->(p) RETURN u.user_id AS user_id, 'promoters' AS role
  UNION
  WITH p MATCH (u:User)-[s:SHARED]->(:User) WHERE s.product_id = p.product_id
  RETURN u.user_id AS user_id, 'sharers' AS role
  UNION
  WITH p MATCH (u:User)-[:LIKED]->(p) RETURN u.user_id AS user_id, 'endorsers' AS role
  UNION
  WITH p MATCH (u:User)-[:PURCHASED]->(p) RETURN u.user_id AS user_id, 'buyers' AS role
}
WITH role, user_id ORDER BY role, user_id
RETURN role, collect(user_id) AS user_ids
