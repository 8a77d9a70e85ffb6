// name: project/users
// description: Every user id, in one list, for the in-memory CSR projection.
// returns: user_ids: list<string>
// mode: read
MATCH (u:User)
RETURN collect(u.user_id) AS user_ids
