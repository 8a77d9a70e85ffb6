// name: reach/frontier
// description: The distinct friends of a frontier of users (internal node ids): one BFS hop for the whole seed set.
// param frontier: list<int> -- internal node ids
// returns: nodes: list<int> (internal ids of every friend, visited or not)
// mode: read
UNWIND $frontier AS node
MATCH (u:User) WHERE id(u) = node
MATCH (u)-[:FRIEND]-(v:User)
RETURN collect(DISTINCT id(v)) AS nodes
