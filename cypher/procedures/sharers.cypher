// name: procedures/sharers
// description: domains/sharers answered by the diffusion.sharers server procedure.
// param product_ids: list<string>
// returns: product_id, channel: string; sharers, shares: int
// mode: read
CALL diffusion.sharers($product_ids)
YIELD product_id, channel, sharers, shares
RETURN product_id, channel, sharers, shares
