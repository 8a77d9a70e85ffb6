// name: procedures/roles
// description: influence/roles answered by the diffusion.roles server procedure, as codes.
// param product_ids: list<string>
// returns: users: list<string>; product, user: list<int> -- product index and user code; role: list<string> -- promoter or sharer
// mode: read
CALL diffusion.roles($product_ids)
YIELD users, product, user, role
RETURN users, product, user, role
