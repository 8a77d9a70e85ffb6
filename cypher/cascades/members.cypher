// name: cascades/members
// description: Everyone in a product's cascades: promoters (with their first promotion), senders and recipients of shares and gifts, with the shares and gifts each received.
// param product_ids: list<string>
// returns: product_id, user_id: list<string>; promoted_at: list<list<int?>> -- one-element lists (collect would drop a bare null), epoch ms of the first promotion; received: list<int> -- shares and gifts received
// mode: read
// Rows are grouped by node, not by id text, and returned as columns: a product
// can have hundreds of thousands of members.
CALL () {
  MATCH (p:Product) WHERE p.product_id IN $product_ids
  MATCH (u:User)-[r:PROMOTED]->(p)
  RETURN p.product_id AS product_id, u AS member, r.at.epochMillis AS promoted_at, 0 AS received
  UNION ALL
  MATCH (s:User)-[r:SHARED|GIFTED]->(u:User) WHERE r.product_id IN $product_ids AND s <> u
  RETURN r.product_id AS product_id, s AS member, null AS promoted_at, 0 AS received
  UNION ALL
  MATCH (s:User)-[r:SHARED|GIFTED]->(u:User) WHERE r.product_id IN $product_ids AND s <> u
  RETURN r.product_id AS product_id, u AS member, null AS promoted_at, 1 AS received
}
WITH product_id, member, min(promoted_at) AS promoted_at, sum(received) AS received
RETURN collect(product_id) AS product_id, collect(member.user_id) AS user_id,
       collect([promoted_at]) AS promoted_at, collect(received) AS received
