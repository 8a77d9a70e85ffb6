// name: domains/adoptions
// description: Each first purchase with its own channel, its last-touch exposure at or before it, and whether a friend's ♡ or a share preceded it within the window.
// param product_ids: list<string>
// param window_ms: int -- window for the endorsement rule, milliseconds
// returns: user_id, product_id: string; at: int -- epoch ms; channel, exposure_channel, exposure_domain: string?; endorsed: bool
// mode: read
MATCH (p:Product) WHERE p.product_id IN $product_ids
MATCH (u:User)-[b:PURCHASED]->(p)
WITH p, u, b ORDER BY b.at
WITH p, u, collect(b)[0] AS b
WITH p, u, b.at.epochMillis AS at, b.channel AS channel
OPTIONAL CALL (p, u, at) {
  MATCH (u)-[e:EXPOSED]->(p) WHERE e.at.epochMillis <= at
  RETURN e.channel AS exposure_channel, e.domain AS exposure_domain
  ORDER BY e.at DESC, e.domain, e.channel
  LIMIT 1
}
WITH p, u, at, channel, exposure_channel, exposure_domain,
     EXISTS { MATCH (u)-[:FRIEND]-(f:User)
              WITH f, p, at
              MATCH (f)-[l:LIKED]->(p)
              WHERE at - $window_ms <= l.at.epochMillis <= at } OR
     EXISTS { MATCH (e:User)-[s:SHARED]->(u)
              WHERE s.product_id = p.product_id AND e <> u
                AND at - $window_ms <= s.at.epochMillis <= at } AS endorsed
RETURN u.user_id AS user_id, p.product_id AS product_id, at, channel, exposure_channel,
       exposure_domain, endorsed
