// name: procedures/friendships
// description: project/users and project/friendships answered by the diffusion.friendships server procedure, as CSR rows on the projection's user numbers: users in id order, each one's friends as numbers in ascending order, in records of consecutive users.
// param friends_per_record: int -- about how many friends one record holds (a record ends at the first user past it)
// returns: key: string; first: int -- the record's first user number; users: bytes -- its users' ids, UTF-8 back to back; user_ends: int64s -- where each ends; degree: int64s -- each one's number of friends (a friendship with oneself counts twice); friends: int32s -- user numbers, little-endian
// mode: read
CALL diffusion.friendships($friends_per_record)
YIELD key, first, users, user_ends, degree, friends
RETURN key, first, users, user_ends, degree, friends
