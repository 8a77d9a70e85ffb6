-- name: domains/exposed_users
-- description: Distinct users exposed to each product (any channel or domain).
-- twin: domains/exposed_users
-- reads: exposures, wanted
-- returns: product_id: product; users: int
-- order: product_id
SELECT e.product_id AS product_id, count(DISTINCT e.user_id) AS users
FROM exposures AS e
JOIN wanted AS w ON w.product_id = e.product_id
GROUP BY e.product_id
