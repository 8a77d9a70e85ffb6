-- name: domains/adoptions
-- description: Each first purchase with its own channel, its last-touch exposure at or before it (latest; ties by domain, then channel name), and whether a friend's ♡ or a share preceded it within the window.
-- twin: domains/adoptions
-- reads: purchases, exposures, likes, shares, friends, channel_names, domain_names, wanted
-- param window_ms: int -- window for the endorsement rule, milliseconds
-- returns: user_id: user; product_id: product; at: ms; channel, exposure_channel: channel; exposure_domain: domain; endorsed: bool
-- order: product_id, user_id
WITH firsts AS (
  SELECT b.user_id AS user_id, b.product_id AS product_id, b.at AS at, b.channel AS channel,
         row_number() OVER (PARTITION BY b.user_id, b.product_id
                            ORDER BY b.at NULLS LAST) AS nth
  FROM purchases AS b
  JOIN wanted AS w ON w.product_id = b.product_id
),
adoptions AS (
  SELECT f.user_id AS user_id, f.product_id AS product_id, f.at AS at, f.channel AS channel
  FROM firsts AS f
  WHERE f.nth = 1
),
touches AS (
  SELECT a.user_id AS user_id, a.product_id AS product_id, e.channel AS channel,
         e.domain AS domain,
         row_number() OVER (PARTITION BY a.user_id, a.product_id
                            ORDER BY e.at DESC NULLS LAST, d.rank NULLS LAST,
                                     c.rank NULLS LAST) AS nth
  FROM adoptions AS a
  JOIN exposures AS e
    ON e.user_id = a.user_id AND e.product_id = a.product_id AND e.at <= a.at
  JOIN domain_names AS d ON d.domain = e.domain
  JOIN channel_names AS c ON c.channel = e.channel
),
signals AS (
  SELECT f.friend AS user_id, l.product_id AS product_id, l.at AS at
  FROM likes AS l
  JOIN wanted AS w ON w.product_id = l.product_id
  JOIN friends AS f ON f.person = l.user_id
  UNION ALL
  SELECT s.recipient_id AS user_id, s.product_id AS product_id, s.at AS at
  FROM shares AS s
  JOIN wanted AS w ON w.product_id = s.product_id
  WHERE s.sharer_id <> s.recipient_id
),
endorsed AS (
  SELECT DISTINCT a.user_id AS user_id, a.product_id AS product_id
  FROM adoptions AS a
  JOIN signals AS g ON g.user_id = a.user_id AND g.product_id = a.product_id
  WHERE g.at >= a.at - $window_ms AND g.at <= a.at
)
SELECT a.user_id AS user_id, a.product_id AS product_id, a.at AS at, a.channel AS channel,
       t.channel AS exposure_channel, t.domain AS exposure_domain,
       n.user_id IS NOT NULL AS endorsed
FROM adoptions AS a
LEFT JOIN touches AS t ON t.user_id = a.user_id AND t.product_id = a.product_id AND t.nth = 1
LEFT JOIN endorsed AS n ON n.user_id = a.user_id AND n.product_id = a.product_id
