// name: reach/frontier_ties_bottom_up
// description: reach/frontier_bottom_up over ties: the candidates (users not reached yet) with a friend in the frontier (when friendships is true) or following someone in it (when follows is true), each stopping at its first. Only candidates[lo..hi] are checked; with no frontier given, candidates holds every user not reached yet and the frontier is their complement, as in reach/frontier_bottom_up.
// param candidates: list<int> -- internal node ids of users not reached yet (from reach/user_nodes)
// param lo: int -- first position of candidates to check
// param hi: int -- position after the last one to check
// param frontier: list<int> | null -- internal node ids of the users reached on the last hop, or null when candidates holds every user not reached yet
// param friendships: bool -- walk FRIEND
// param follows: bool -- walk FOLLOWS from followee to follower
// returns: nodes: list<int> (internal ids of the candidates reached)
// mode: read
UNWIND $candidates[$lo..$hi] AS node
MATCH (v) WHERE id(v) = node
  AND (($friendships AND EXISTS {
         MATCH (v)-[:FRIEND]-(u)
         WHERE CASE WHEN $frontier IS NULL THEN NOT id(u) IN $candidates
                    ELSE id(u) IN $frontier END
       })
    OR ($follows AND EXISTS {
         MATCH (v)-[:FOLLOWS]->(u)
         WHERE CASE WHEN $frontier IS NULL THEN NOT id(u) IN $candidates
                    ELSE id(u) IN $frontier END
       }))
RETURN collect(node) AS nodes
