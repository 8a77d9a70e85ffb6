// name: procedures/endorser_ties
// description: influence/endorser_ties answered by the diffusion.endorser_ties server procedure, on projection user numbers.
// param key: string -- the projection the numbers belong to (an error if the database changed since)
// param users: bytes -- user numbers, little-endian int64s
// returns: key: string; a, b: int64s -- the two friends' numbers, a < b, each pair once
// mode: read
CALL diffusion.endorser_ties($key, $users)
YIELD key, a, b
RETURN key, a, b
