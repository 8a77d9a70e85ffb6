// name: procedures/tree_edges
// description: cascades/tree_edges answered by the diffusion.tree_edges server procedure, as codes.
// param product_ids: list<string>
// returns: users: list<string>; product, parent, child, at, incoming: list<int> -- product index, user codes, epoch ms, shares and gifts received; kind: list<string>
// mode: read
CALL diffusion.tree_edges($product_ids)
YIELD users, product, parent, child, at, incoming, kind
RETURN users, product, parent, child, at, incoming, kind
