// name: reach/seed_nodes
// description: Resolve user ids to internal node ids for a traversal; unknown ids are absent.
// param user_ids: list<string>
// returns: user_id: string, node: int
// mode: read
UNWIND $user_ids AS uid
MATCH (u:User {user_id: uid})
RETURN uid AS user_id, id(u) AS node
