-- name: influence/signals
-- description: Every endorsement signal with its channel: a ♡ seen by each friend of the liker (channel like) and every share (its own channel); the earliest per endorser, user, product and channel.
-- twin: influence/signals
-- reads: likes, shares, friends, channel_names, wanted
-- returns: endorser_id, user_id: user; product_id: product; channel: text; at: ms
-- order: product_id, user_id, endorser_id, channel
SELECT g.endorser_id AS endorser_id, g.user_id AS user_id, g.product_id AS product_id,
       g.channel AS channel, min(g.at) AS at
FROM (
  SELECT l.user_id AS endorser_id, f.friend AS user_id, l.product_id AS product_id,
         'like' AS channel, l.at AS at
  FROM likes AS l
  JOIN wanted AS w ON w.product_id = l.product_id
  JOIN friends AS f ON f.person = l.user_id
  UNION ALL
  SELECT s.sharer_id AS endorser_id, s.recipient_id AS user_id, s.product_id AS product_id,
         c.name AS channel, s.at AS at
  FROM shares AS s
  JOIN wanted AS w ON w.product_id = s.product_id
  JOIN channel_names AS c ON c.channel = s.channel
  WHERE s.sharer_id <> s.recipient_id
) AS g
GROUP BY g.endorser_id, g.user_id, g.product_id, g.channel
