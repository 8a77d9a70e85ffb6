-- name: domains/sharers
-- description: Distinct users who shared each product onward, per channel, and the shares they sent.
-- twin: domains/sharers
-- reads: shares, wanted
-- returns: product_id: product; channel: channel; sharers, shares: int
-- order: product_id, channel
SELECT s.product_id AS product_id, s.channel AS channel,
       count(DISTINCT s.sharer_id) AS sharers, count(*) AS shares
FROM shares AS s
JOIN wanted AS w ON w.product_id = s.product_id
GROUP BY s.product_id, s.channel
