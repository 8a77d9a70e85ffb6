// name: procedures/adoptions
// description: influence/adoptions answered by the diffusion.adoptions server procedure, users as projection user numbers (rank in user_id order).
// param product_ids: list<string>
// param purchases: bool -- true: adoption is a purchase; false: adoption is a ♡
// returns: key: string -- the projection whose user numbers these are; product: int64s -- index into the distinct product_ids in the order given; user: int64s -- user numbers; at: int64s -- epoch ms, first adoption
// mode: read
CALL diffusion.adoptions($product_ids, $purchases)
YIELD key, product, user, at
RETURN key, product, user, at
