-- name: influence/roles
-- description: Promoters and sharers of the given products, to label endorsers by role.
-- twin: influence/roles
-- reads: promotions, shares, wanted
-- returns: user_id: user; product_id: product; role: text
-- order: user_id, product_id, role
SELECT p.user_id AS user_id, p.product_id AS product_id, 'promoter' AS role
FROM promotions AS p
JOIN wanted AS w ON w.product_id = p.product_id
UNION
SELECT s.sharer_id AS user_id, s.product_id AS product_id, 'sharer' AS role
FROM shares AS s
JOIN wanted AS w ON w.product_id = s.product_id
