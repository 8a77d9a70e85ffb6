// name: procedures/adoption_touches
// description: domains/adoptions answered by the diffusion.adoption_touches server procedure, as codes.
// param product_ids: list<string>
// param window_ms: int -- window for the endorsement rule, milliseconds
// returns: users: bytes -- the user ids the codes index, UTF-8 back to back; user_ends: int64s -- where each ends; product, user, at: int64s -- product index, user code, epoch ms; channel, exposure_channel, exposure_domain: list<string?>; endorsed: int64s (0/1)
// mode: read
CALL diffusion.adoption_touches($product_ids, $window_ms)
YIELD users, user_ends, product, user, at, channel, exposure_channel, exposure_domain, endorsed
RETURN users, user_ends, product, user, at, channel, exposure_channel, exposure_domain, endorsed
