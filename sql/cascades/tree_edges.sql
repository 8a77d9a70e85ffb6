-- name: cascades/tree_edges
-- description: Cascade tree edges: each recipient's earliest incoming share or gift (by time, then sender id, then gift before share), unless the recipient is a promoter or had already shared or given the product before it.
-- twin: cascades/tree_edges
-- reads: shares, gifts, promotions, users, wanted
-- returns: product_id: product; parent, child: user; kind: text; at, incoming: int
-- order: product_id, child
WITH edges AS (
  SELECT s.product_id AS product_id, s.sharer_id AS parent, s.recipient_id AS child,
         s.at AS at, 'share' AS kind
  FROM shares AS s
  JOIN wanted AS w ON w.product_id = s.product_id
  WHERE s.sharer_id <> s.recipient_id
  UNION ALL
  SELECT g.product_id AS product_id, g.giver_id AS parent, g.recipient_id AS child,
         g.at AS at, 'gift' AS kind
  FROM gifts AS g
  JOIN wanted AS w ON w.product_id = g.product_id
  WHERE g.giver_id <> g.recipient_id
),
received AS (
  SELECT e.product_id AS product_id, e.parent AS parent, e.child AS child, e.at AS at,
         e.kind AS kind,
         row_number() OVER (PARTITION BY e.product_id, e.child
                            ORDER BY e.at NULLS LAST, u.rank NULLS LAST,
                                     e.kind NULLS LAST) AS nth,
         count(*) OVER (PARTITION BY e.product_id, e.child) AS incoming
  FROM edges AS e
  JOIN users AS u ON u.user_id = e.parent
)
SELECT r.product_id AS product_id, r.parent AS parent, r.child AS child, r.kind AS kind,
       r.at AS at, r.incoming AS incoming
FROM received AS r
WHERE r.nth = 1
  AND NOT EXISTS (SELECT 1 FROM promotions AS p
                  WHERE p.user_id = r.child AND p.product_id = r.product_id)
  AND NOT EXISTS (SELECT 1 FROM edges AS o
                  WHERE o.parent = r.child AND o.product_id = r.product_id AND o.at < r.at)
