// name: procedures/adoption_touches
// description: domains/adoptions answered by the diffusion.adoption_touches server procedure, as codes.
// param product_ids: list<string>
// param window_ms: int -- window for the endorsement rule, milliseconds
// returns: users: list<string>; product, user, at: list<int> -- product index, user code, epoch ms; channel, exposure_channel, exposure_domain: list<string?>; endorsed: list<bool>
// mode: read
CALL diffusion.adoption_touches($product_ids, $window_ms)
YIELD users, product, user, at, channel, exposure_channel, exposure_domain, endorsed
RETURN users, product, user, at, channel, exposure_channel, exposure_domain, endorsed
