// name: influence/credit_candidates
// description: For every first adoption, the endorsers whose earliest signal to the adopter came at or before it and within the window.
// param product_ids: list<string>
// param purchases: bool -- true: adoption is a purchase; false: adoption is a ♡
// param likes: bool -- count friends' ♡
// param shares: bool -- count shares sent to the user
// param window_ms: int -- credit window in milliseconds
// returns: user_id, product_id, endorser_id: list<string>; adopted_at, endorsed_at: list<int> -- epoch ms
// mode: read
MATCH (p:Product) WHERE p.product_id IN $product_ids
CALL (p) {
  MATCH (u:User)-[b:PURCHASED]->(p) WHERE $purchases
  RETURN u, b.at AS at
  UNION ALL
  MATCH (u:User)-[l:LIKED]->(p) WHERE NOT $purchases
  RETURN u, l.at AS at
}
WITH p, u, min(at).epochMillis AS adopted_at
CALL (p, u) {
  // friends first, then their ♡ of p: starting from p would scan all its likers per adopter
  MATCH (u)-[:FRIEND]-(e:User) WHERE $likes
  WITH e, p
  MATCH (e)-[l:LIKED]->(p)
  RETURN e, l.at.epochMillis AS at
  UNION ALL
  MATCH (e:User)-[s:SHARED]->(u) WHERE $shares AND s.product_id = p.product_id AND e <> u
  RETURN e, s.at.epochMillis AS at
}
WITH p, u, adopted_at, e, min(at) AS endorsed_at
WHERE endorsed_at <= adopted_at AND endorsed_at >= adopted_at - $window_ms
RETURN collect(u.user_id) AS user_id, collect(p.product_id) AS product_id,
       collect(e.user_id) AS endorser_id, collect(adopted_at) AS adopted_at,
       collect(endorsed_at) AS endorsed_at
