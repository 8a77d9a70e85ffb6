-- name: domains/exposures
-- description: Exposure rows and distinct exposed users per product, channel and domain.
-- twin: domains/exposures
-- reads: exposures, wanted
-- returns: product_id: product; channel: channel; domain: domain; exposures, users: int
-- order: product_id, channel, domain
SELECT e.product_id AS product_id, e.channel AS channel, e.domain AS domain,
       count(*) AS exposures, count(DISTINCT e.user_id) AS users
FROM exposures AS e
JOIN wanted AS w ON w.product_id = e.product_id
GROUP BY e.product_id, e.channel, e.domain
