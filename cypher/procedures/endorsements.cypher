// name: procedures/endorsements
// description: influence/endorsements answered by the diffusion.endorsements server procedure, as codes.
// param product_ids: list<string>
// param likes: bool -- count friends' ♡
// param shares: bool -- count shares sent to the user
// returns: users: list<string> -- the user ids the codes index; product: list<int> -- index into the distinct product_ids in the order given; user, endorser: list<int> -- codes; at: list<int> -- epoch ms, earliest signal
// mode: read
CALL diffusion.endorsements($product_ids, $likes, $shares)
YIELD users, product, user, endorser, at
RETURN users, product, user, endorser, at
