// name: procedures/tree_edges
// description: cascades/tree_edges answered by the diffusion.tree_edges server procedure, as codes.
// param product_ids: list<string>
// returns: users: bytes -- the user ids the codes index, UTF-8 back to back; user_ends: int64s -- where each ends; product, parent, child, at, incoming: int64s -- product index, user codes, epoch ms, shares and gifts received; kind: list<string>
// mode: read
CALL diffusion.tree_edges($product_ids)
YIELD users, user_ends, product, parent, child, at, incoming, kind
RETURN users, user_ends, product, parent, child, at, incoming, kind
