// name: influence/adoptions
// description: The first adoption of each product by each user: a purchase, or a ♡ when likes are the adoption.
// param product_ids: list<string>
// param purchases: bool -- true: adoption is a purchase; false: adoption is a ♡
// returns: user_id, product_id: list<string>; at: list<int> -- epoch ms
// mode: read
MATCH (p:Product) WHERE p.product_id IN $product_ids
CALL (p) {
  MATCH (u:User)-[b:PURCHASED]->(p) WHERE $purchases
  RETURN u, b.at AS at
  UNION ALL
  MATCH (u:User)-[l:LIKED]->(p) WHERE NOT $purchases
  RETURN u, l.at AS at
}
WITH p, u, min(at).epochMillis AS at
RETURN collect(u.user_id) AS user_id, collect(p.product_id) AS product_id, collect(at) AS at
