// name: procedures/members
// description: cascades/members answered by the diffusion.members server procedure, users as projection user numbers (rank in user_id order).
// param product_ids: list<string>
// returns: key: string -- the projection whose user numbers these are; product, user, received: int64s; promoted: int64s (0/1); promoted_at: int64s -- epoch ms of the first promotion, 0 where promoted is false
// mode: read
CALL diffusion.members($product_ids)
YIELD key, product, user, received, promoted, promoted_at
RETURN key, product, user, received, promoted, promoted_at
