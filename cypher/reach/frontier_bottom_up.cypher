// name: reach/frontier_bottom_up
// description: The candidates (users not reached yet) with a friend in the frontier: one bottom-up BFS hop. Each candidate stops at its first such friend, so a hop that reaches most of the graph reads a few friendships per user, not all of them.
// param candidates: list<int> -- internal node ids of users not reached yet (from reach/user_nodes)
// param frontier: list<int> -- internal node ids of the users reached on the last hop
// returns: nodes: list<int> (internal ids of the candidates reached)
// mode: read
UNWIND $candidates AS node
MATCH (v) WHERE id(v) = node
  AND EXISTS { MATCH (v)-[:FRIEND]-(u) WHERE id(u) IN $frontier }
RETURN collect(node) AS nodes
