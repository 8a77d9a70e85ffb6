// name: procedures/endorser_ties
// description: influence/endorser_ties answered by the diffusion.endorser_ties server procedure, as positions in the list given.
// param user_ids: list<string>
// returns: a, b: int64s -- the two friends' positions in user_ids (first occurrence)
// mode: read
CALL diffusion.endorser_ties($user_ids)
YIELD a, b
RETURN a, b
