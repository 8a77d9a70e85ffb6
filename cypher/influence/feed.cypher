// name: influence/feed
// description: The friend-♡ feed one user would see: products ranked by distinct endorsing friends at or before a time, ties broken by recency.
// param user_id: string
// param at: int? -- epoch ms; null means the end of the snapshot
// param likes: bool -- count friends' ♡
// param shares: bool -- count shares sent to the user
// param top: int -- how many products
// returns: product_id, name: string; friends: int; latest: int -- epoch ms; endorsers: list<string> -- in endorsement order
// mode: read
MATCH (u:User {user_id: $user_id})
CALL (u) {
  MATCH (u)-[:FRIEND]-(e:User)-[l:LIKED]->(p:Product)
  WHERE $likes AND ($at IS NULL OR l.at.epochMillis <= $at)
  RETURN p, e, l.at.epochMillis AS at
  UNION ALL
  MATCH (e:User)-[s:SHARED]->(u)
  WHERE $shares AND e <> u AND ($at IS NULL OR s.at.epochMillis <= $at)
  MATCH (p:Product {product_id: s.product_id})
  RETURN p, e, s.at.epochMillis AS at
}
WITH p, e, min(at) AS at
ORDER BY at, e.user_id
WITH p, collect(e.user_id) AS endorsers, max(at) AS latest
RETURN p.product_id AS product_id, p.name AS name, size(endorsers) AS friends, latest, endorsers
ORDER BY friends DESC, latest DESC, product_id
LIMIT $top
