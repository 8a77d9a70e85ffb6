// name: cascades/members
// description: Everyone in a product's cascades: promoters (with their first promotion), senders and recipients of shares and gifts, with the shares and gifts each received.
// param product_ids: list<string>
// returns: product_id, user_id: string; promoted_at: int? -- epoch ms of the first promotion; received: int -- shares and gifts received
// mode: read
CALL () {
  MATCH (p:Product) WHERE p.product_id IN $product_ids
  MATCH (u:User)-[r:PROMOTED]->(p)
  RETURN p.product_id AS product_id, u.user_id AS user_id, r.at.epochMillis AS promoted_at, 0 AS received
  UNION ALL
  MATCH (s:User)-[r:SHARED|GIFTED]->(u:User) WHERE r.product_id IN $product_ids AND s <> u
  UNWIND [[s, 0], [u, 1]] AS member
  RETURN r.product_id AS product_id, member[0].user_id AS user_id, null AS promoted_at,
         member[1] AS received
}
WITH product_id, user_id, min(promoted_at) AS promoted_at, sum(received) AS received
RETURN product_id, user_id, promoted_at, received
