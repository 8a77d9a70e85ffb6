// name: cascades/tree_edges
// description: Cascade tree edges: each recipient's earliest incoming share or gift, unless the recipient is a promoter or had already shared or given the product before it.
// param product_ids: list<string>
// returns: product_id, parent, child, kind: list<string>; at, incoming: list<int> -- at in epoch ms; incoming counts every share and gift received
// mode: read
MATCH (p:Product) WHERE p.product_id IN $product_ids
CALL (p) {
  MATCH (s:User)-[r:SHARED]->(u:User) WHERE r.product_id = p.product_id AND s <> u
  RETURN s, u, r.at.epochMillis AS at, 'share' AS kind
  UNION ALL
  MATCH (s:User)-[r:GIFTED]->(u:User) WHERE r.product_id = p.product_id AND s <> u
  RETURN s, u, r.at.epochMillis AS at, 'gift' AS kind
}
WITH p, u, s, at, kind
ORDER BY at, s.user_id, kind
WITH p, u, collect({parent: s.user_id, at: at, kind: kind}) AS received
WITH p, u, received[0] AS first, size(received) AS incoming
WHERE NOT EXISTS { (u)-[:PROMOTED]->(p) }
  AND NOT EXISTS { MATCH (u)-[o:SHARED|GIFTED]->(x:User)
                   WHERE o.product_id = p.product_id AND x <> u
                     AND o.at.epochMillis < first.at }
RETURN collect(p.product_id) AS product_id, collect(first.parent) AS parent,
       collect(u.user_id) AS child, collect(first.kind) AS kind, collect(first.at) AS at,
       collect(incoming) AS incoming
