-- name: influence/endorsements
-- description: Who endorsed each product to whom: a friend's ♡ or a share received; the earliest signal per user, product and endorser.
-- twin: influence/endorsements
-- reads: likes, shares, friends, wanted
-- param likes: bool -- count friends' ♡
-- param shares: bool -- count shares sent to the user
-- returns: user_id: user; product_id: product; endorser_id: user; at: ms
-- order: product_id, user_id, endorser_id
SELECT g.user_id AS user_id, g.product_id AS product_id, g.endorser_id AS endorser_id,
       min(g.at) AS at
FROM (
  SELECT f.friend AS user_id, l.product_id AS product_id, l.user_id AS endorser_id,
         l.at AS at
  FROM likes AS l
  JOIN wanted AS w ON w.product_id = l.product_id
  JOIN friends AS f ON f.person = l.user_id
  WHERE $likes
  UNION ALL
  SELECT s.recipient_id AS user_id, s.product_id AS product_id, s.sharer_id AS endorser_id,
         s.at AS at
  FROM shares AS s
  JOIN wanted AS w ON w.product_id = s.product_id
  WHERE $shares AND s.sharer_id <> s.recipient_id
) AS g
GROUP BY g.user_id, g.product_id, g.endorser_id
