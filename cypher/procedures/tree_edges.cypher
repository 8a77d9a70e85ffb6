// name: procedures/tree_edges
// description: cascades/tree_edges answered by the diffusion.tree_edges server procedure, users as projection user numbers (rank in user_id order).
// param product_ids: list<string>
// returns: key: string -- the projection whose user numbers these are; product, parent, child, at, incoming: int64s -- product index, user numbers, epoch ms, shares and gifts received; kind: list<string>
// mode: read
CALL diffusion.tree_edges($product_ids)
YIELD key, product, parent, child, at, incoming, kind
RETURN key, product, parent, child, at, incoming, kind
