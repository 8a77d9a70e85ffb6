-- name: cascades/members
-- description: Everyone in a product's cascades: promoters (with their first promotion), senders and recipients of shares and gifts, with the shares and gifts each received.
-- twin: cascades/members
-- reads: promotions, shares, gifts, wanted
-- returns: product_id: product; user_id: user; promoted_at: ms; received: int
-- order: product_id, user_id
WITH edges AS (
  SELECT s.product_id AS product_id, s.sharer_id AS sender, s.recipient_id AS recipient
  FROM shares AS s
  WHERE s.sharer_id <> s.recipient_id
  UNION ALL
  SELECT g.product_id AS product_id, g.giver_id AS sender, g.recipient_id AS recipient
  FROM gifts AS g
  WHERE g.giver_id <> g.recipient_id
)
SELECT m.product_id AS product_id, m.user_id AS user_id, min(m.promoted_at) AS promoted_at,
       CAST(sum(m.received) AS BIGINT) AS received
FROM (
  SELECT p.product_id AS product_id, p.user_id AS user_id, p.at AS promoted_at,
         0 AS received
  FROM promotions AS p
  UNION ALL
  SELECT e.product_id AS product_id, e.sender AS user_id, CAST(NULL AS BIGINT) AS promoted_at,
         0 AS received
  FROM edges AS e
  UNION ALL
  SELECT e.product_id AS product_id, e.recipient AS user_id,
         CAST(NULL AS BIGINT) AS promoted_at, 1 AS received
  FROM edges AS e
) AS m
JOIN wanted AS w ON w.product_id = m.product_id
GROUP BY m.product_id, m.user_id
