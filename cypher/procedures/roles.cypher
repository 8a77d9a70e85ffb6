// name: procedures/roles
// description: influence/roles answered by the diffusion.roles server procedure, users as projection user numbers (rank in user_id order).
// param product_ids: list<string>
// returns: key: string -- the projection whose user numbers these are; product, user: int64s -- product index and user number; role: list<string> -- promoter or sharer
// mode: read
CALL diffusion.roles($product_ids)
YIELD key, product, user, role
RETURN key, product, user, role
