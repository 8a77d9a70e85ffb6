-- name: influence/credit_candidates
-- description: For every first adoption, the endorsers whose earliest signal to the adopter came at or before it and within the window.
-- twin: influence/credit_candidates
-- reads: purchases, likes, shares, friends, wanted
-- param purchases: bool -- true: adoption is a purchase; false: adoption is a ♡
-- param likes: bool -- count friends' ♡
-- param shares: bool -- count shares sent to the user
-- param window_ms: int -- credit window in milliseconds
-- returns: user_id: user; product_id: product; endorser_id: user; adopted_at, endorsed_at: ms
-- order: product_id, user_id, endorser_id
WITH adoptions AS (
  SELECT a.user_id AS user_id, a.product_id AS product_id, min(a.at) AS at
  FROM (
    SELECT b.user_id AS user_id, b.product_id AS product_id, b.at AS at
    FROM purchases AS b
    WHERE $purchases
    UNION ALL
    SELECT l.user_id AS user_id, l.product_id AS product_id, l.at AS at
    FROM likes AS l
    WHERE NOT $purchases
  ) AS a
  JOIN wanted AS w ON w.product_id = a.product_id
  GROUP BY a.user_id, a.product_id
),
endorsements AS (
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
)
SELECT a.user_id AS user_id, a.product_id AS product_id, e.endorser_id AS endorser_id,
       a.at AS adopted_at, e.at AS endorsed_at
FROM adoptions AS a
JOIN endorsements AS e ON e.user_id = a.user_id AND e.product_id = a.product_id
WHERE e.at <= a.at AND e.at >= a.at - $window_ms
