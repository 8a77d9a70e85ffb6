// name: procedures/members
// description: cascades/members answered by the diffusion.members server procedure, as codes.
// param product_ids: list<string>
// returns: users: list<string>; product, user, received: list<int>; promoted: list<bool>; promoted_at: list<int> -- epoch ms of the first promotion, 0 where promoted is false
// mode: read
CALL diffusion.members($product_ids)
YIELD users, product, user, received, promoted, promoted_at
RETURN users, product, user, received, promoted, promoted_at
