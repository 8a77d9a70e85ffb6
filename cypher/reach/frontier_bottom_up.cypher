// name: reach/frontier_bottom_up
// description: The candidates (users not reached yet) with a friend in the frontier: one bottom-up BFS hop. Each candidate stops at its first such friend, so a hop that reaches most of the graph reads a few friendships per user, not all of them. Only candidates[lo..hi] are checked, so that concurrent sessions can share one hop. With no frontier given, candidates must hold every user not reached yet, and the frontier is their complement: a candidate's friend outside that list was reached, and since the candidate was not reached on an earlier hop, that friend was reached on the last one. This sends one list instead of two when the frontier is long.
// param candidates: list<int> -- internal node ids of users not reached yet (from reach/user_nodes)
// param lo: int -- first position of candidates to check
// param hi: int -- position after the last one to check
// param frontier: list<int> | null -- internal node ids of the users reached on the last hop, or null when candidates holds every user not reached yet
// returns: nodes: list<int> (internal ids of the candidates reached)
// mode: read
UNWIND $candidates[$lo..$hi] AS node
MATCH (v) WHERE id(v) = node
  AND EXISTS {
    MATCH (v)-[:FRIEND]-(u)
    WHERE CASE WHEN $frontier IS NULL THEN NOT id(u) IN $candidates ELSE id(u) IN $frontier END
  }
RETURN collect(node) AS nodes
