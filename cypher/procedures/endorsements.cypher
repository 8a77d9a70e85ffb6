// name: procedures/endorsements
// description: influence/endorsements answered by the diffusion.endorsements server procedure, as codes.
// param product_ids: list<string>
// param likes: bool -- count friends' ♡
// param shares: bool -- count shares sent to the user
// returns: users: bytes -- the user ids the codes index, UTF-8 back to back; user_ends: int64s -- where each ends; product: int64s -- index into the distinct product_ids in the order given; user, endorser: int64s -- codes; at: int64s -- epoch ms, earliest signal
// mode: read
CALL diffusion.endorsements($product_ids, $likes, $shares)
YIELD users, user_ends, product, user, endorser, at
RETURN users, user_ends, product, user, endorser, at
