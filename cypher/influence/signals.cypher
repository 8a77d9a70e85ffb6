// name: influence/signals
// description: Every endorsement signal with its channel: a ♡ seen by each friend of the liker (channel like) and every share (its own channel); the earliest per endorser, user, product and channel.
// param product_ids: list<string>
// returns: endorser_id, user_id, product_id, channel: list<string>; at: list<int> -- epoch ms
// mode: read
CALL () {
  MATCH (p:Product) WHERE p.product_id IN $product_ids
  MATCH (e:User)-[l:LIKED]->(p)
  MATCH (e)-[:FRIEND]-(u:User)
  RETURN e.user_id AS endorser_id, u.user_id AS user_id, p.product_id AS product_id,
         'like' AS channel, l.at.epochMillis AS at
  UNION ALL
  MATCH (e:User)-[s:SHARED]->(u:User)
  WHERE s.product_id IN $product_ids AND e <> u
  RETURN e.user_id AS endorser_id, u.user_id AS user_id, s.product_id AS product_id,
         s.channel AS channel, s.at.epochMillis AS at
}
WITH endorser_id, user_id, product_id, channel, min(at) AS at
RETURN collect(endorser_id) AS endorser_id, collect(user_id) AS user_id,
       collect(product_id) AS product_id, collect(channel) AS channel, collect(at) AS at
