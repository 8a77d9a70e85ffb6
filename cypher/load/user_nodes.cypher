// name: load/user_nodes
// description: Every user's id with its internal node id, so that the loader can address a batch of friendships by node instead of two index seeks per row.
// returns: user_id: list<string>, node: list<int>
// mode: read
MATCH (u:User)
RETURN collect(u.user_id) AS user_id, collect(id(u)) AS node
