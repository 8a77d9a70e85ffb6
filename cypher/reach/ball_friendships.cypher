// name: reach/ball_friendships
// description: The friendships leaving a list of users (internal node ids), each pair once (from the end it was stored at): the caller keeps those whose other end is in its list too, which gives the friendship graph induced on the users within H hops of a seed set (per-seed and unique reach are computed on it client-side).
// param nodes: list<int> -- internal node ids
// returns: a, b: list<int> -- internal node ids of the two ends of each friendship stored from a node in the list
// mode: read
UNWIND $nodes AS node
MATCH (u) WHERE id(u) = node
MATCH (u)-[:FRIEND]->(v)
RETURN collect(node) AS a, collect(id(v)) AS b
