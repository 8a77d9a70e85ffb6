// name: admin/projection
// description: The in-heap projection diffusion's server procedures answer from, built now if the database changed since the last one.
// returns: key: string -- database and last committed transaction; users, friendships, products: int -- its size (friendships in both directions); build_ms: int -- how long it took to build
// mode: read
CALL diffusion.projection()
YIELD key, users, friendships, products, build_ms
RETURN key, users, friendships, products, build_ms
