// name: procedures/adoption_touches
// description: domains/adoptions answered by the diffusion.adoption_touches server procedure, users as projection user numbers (rank in user_id order).
// param product_ids: list<string>
// param window_ms: int -- window for the endorsement rule, milliseconds
// returns: key: string -- the projection whose user numbers these are; product, user, at: int64s -- product index, user number, epoch ms; channel, exposure_channel, exposure_domain: list<string?>; endorsed: int64s (0/1)
// mode: read
CALL diffusion.adoption_touches($product_ids, $window_ms)
YIELD key, product, user, at, channel, exposure_channel, exposure_domain, endorsed
RETURN key, product, user, at, channel, exposure_channel, exposure_domain, endorsed
