// name: domains/sharers
// description: Distinct users who shared each product onward, per channel.
// param product_ids: list<string>
// returns: product_id, channel: string; sharers, shares: int
// mode: read
MATCH (s:User)-[r:SHARED]->(:User) WHERE r.product_id IN $product_ids
RETURN r.product_id AS product_id, r.channel AS channel, count(DISTINCT s) AS sharers,
       count(*) AS shares
ORDER BY product_id, channel
