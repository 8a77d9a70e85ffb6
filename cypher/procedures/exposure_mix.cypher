// name: procedures/exposure_mix
// description: domains/exposures answered by the diffusion.exposure_mix server procedure.
// param product_ids: list<string>
// returns: product_id, channel, domain: string; exposures, users: int
// mode: read
CALL diffusion.exposure_mix($product_ids)
YIELD product_id, channel, domain, exposures, users
RETURN product_id, channel, domain, exposures, users
