// name: procedures/endorser_ties
// description: influence/endorser_ties answered by the diffusion.endorser_ties server procedure, as codes.
// param user_ids: list<string>
// returns: users: list<string> -- the user ids the codes index; a, b: list<int> -- codes of the two friends
// mode: read
CALL diffusion.endorser_ties($user_ids)
YIELD users, a, b
RETURN users, a, b
