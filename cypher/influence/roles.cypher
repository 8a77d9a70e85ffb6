// name: influence/roles
// description: Promoters and sharers of the given products, to label endorsers by role.
// param product_ids: list<string>
// returns: user_id, product_id, role: list<string> -- role is promoter or sharer
// mode: read
CALL () {
  MATCH (p:Product) WHERE p.product_id IN $product_ids
  MATCH (u:User)-[:PROMOTED]->(p)
  RETURN DISTINCT u.user_id AS user_id, p.product_id AS product_id, 'promoter' AS role
  UNION
  MATCH (u:User)-[s:SHARED]->(:User) WHERE s.product_id IN $product_ids
  RETURN DISTINCT u.user_id AS user_id, s.product_id AS product_id, 'sharer' AS role
}
RETURN collect(user_id) AS user_id, collect(product_id) AS product_id, collect(role) AS role
