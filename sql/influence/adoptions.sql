-- name: influence/adoptions
-- description: The first adoption of each product by each user: a purchase, or a ♡ when likes are the adoption.
-- twin: influence/adoptions
-- reads: purchases, likes, wanted
-- param purchases: bool -- true: adoption is a purchase; false: adoption is a ♡
-- returns: user_id: user; product_id: product; at: ms
-- order: user_id, product_id
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
