// name: procedures/roles
// description: influence/roles answered by the diffusion.roles server procedure, as codes.
// param product_ids: list<string>
// returns: users: bytes -- the user ids the codes index, UTF-8 back to back; user_ends: int64s -- where each ends; product, user: int64s -- product index and user code; role: list<string> -- promoter or sharer
// mode: read
CALL diffusion.roles($product_ids)
YIELD users, user_ends, product, user, role
RETURN users, user_ends, product, user, role
