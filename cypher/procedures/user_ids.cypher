// name: procedures/user_ids
// description: The user_id of each projection user number given, in the order given, from the diffusion.user_ids server procedure.
// param key: string -- the projection the numbers belong to (an error if the database changed since)
// param users: bytes -- user numbers, little-endian int64s
// returns: key: string; users: bytes -- the ids, UTF-8 back to back; user_ends: int64s -- where each ends
// mode: read
CALL diffusion.user_ids($key, $users)
YIELD key, users, user_ends
RETURN key, users, user_ends
