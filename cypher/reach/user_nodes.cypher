// name: reach/user_nodes
// description: The internal node id of every user: the candidates of a bottom-up BFS hop.
// returns: nodes: list<int>
// mode: read
MATCH (u:User)
RETURN collect(id(u)) AS nodes
