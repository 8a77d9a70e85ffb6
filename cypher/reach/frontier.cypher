// name: reach/frontier
// description: The friends of a frontier of users (internal node ids): one top-down BFS hop for the whole seed set. Friends are listed once per friendship (the caller deduplicates): DISTINCT, and a label check on each friend (FRIEND joins users only), cost more on the server than the longer list costs on the wire.
// param frontier: list<int> -- internal node ids
// returns: nodes: list<int> (internal ids of every friend, visited or not, with repeats)
// mode: read
UNWIND $frontier AS node
MATCH (u) WHERE id(u) = node
MATCH (u)-[:FRIEND]-(v)
RETURN collect(id(v)) AS nodes
