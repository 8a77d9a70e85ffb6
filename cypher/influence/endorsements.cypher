// name: influence/endorsements
// description: Who endorsed each product to whom: a friend's ♡ or a share received; the earliest signal per user, product and endorser.
// param product_ids: list<string>
// param likes: bool -- count friends' ♡
// param shares: bool -- count shares sent to the user
// returns: user_id, product_id, endorser_id: list<string>; at: list<int> -- epoch ms, earliest signal
// mode: read
// Grouped by nodes, ids read once per group: a product can have a million rows.
CALL () {
  MATCH (p:Product) WHERE p.product_id IN $product_ids AND $likes
  MATCH (e:User)-[l:LIKED]->(p)
  MATCH (e)-[:FRIEND]-(u:User)
  RETURN u, p.product_id AS product_id, e, l.at AS at
  UNION ALL
  MATCH (e:User)-[s:SHARED]->(u:User)
  WHERE $shares AND s.product_id IN $product_ids AND e <> u
  RETURN u, s.product_id AS product_id, e, s.at AS at
}
WITH u, product_id, e, min(at) AS at
RETURN collect(u.user_id) AS user_id, collect(product_id) AS product_id,
       collect(e.user_id) AS endorser_id, collect(at.epochMillis) AS at
