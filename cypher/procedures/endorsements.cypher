// name: procedures/endorsements
// description: influence/endorsements answered by the diffusion.endorsements server procedure, users as projection user numbers (rank in user_id order).
// param product_ids: list<string>
// param likes: bool -- count friends' ♡
// param shares: bool -- count shares sent to the user
// returns: key: string -- the projection whose user numbers these are; product: int64s -- index into the distinct product_ids in the order given; user, endorser: int64s -- user numbers; at: int64s -- epoch ms, earliest signal; rows in (product, user, at) order
// mode: read
CALL diffusion.endorsements($product_ids, $likes, $shares)
YIELD key, product, user, endorser, at
RETURN key, product, user, endorser, at
