// name: procedures/adoptions
// description: influence/adoptions answered by the diffusion.adoptions server procedure, as codes.
// param product_ids: list<string>
// param purchases: bool -- true: adoption is a purchase; false: adoption is a ♡
// returns: users: bytes -- the user ids the codes index, UTF-8 back to back; user_ends: int64s -- where each ends; product: int64s -- index into the distinct product_ids in the order given; user: int64s -- codes; at: int64s -- epoch ms, first adoption
// mode: read
CALL diffusion.adoptions($product_ids, $purchases)
YIELD users, user_ends, product, user, at
RETURN users, user_ends, product, user, at
