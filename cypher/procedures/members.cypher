// name: procedures/members
// description: cascades/members answered by the diffusion.members server procedure, as codes.
// param product_ids: list<string>
// returns: users: bytes -- the user ids the codes index, UTF-8 back to back; user_ends: int64s -- where each ends; product, user, received: int64s; promoted: int64s (0/1); promoted_at: int64s -- epoch ms of the first promotion, 0 where promoted is false
// mode: read
CALL diffusion.members($product_ids)
YIELD users, user_ends, product, user, received, promoted, promoted_at
RETURN users, user_ends, product, user, received, promoted, promoted_at
