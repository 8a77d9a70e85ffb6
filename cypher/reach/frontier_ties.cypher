// name: reach/frontier_ties
// description: The users a frontier (internal node ids) influences in one top-down BFS hop over ties: friends (FRIEND, both ways) when friendships is true, followers (a follower hears its followee: (v)-[:FOLLOWS]->(u)) when follows is true. Listed once per tie (the caller deduplicates), as reach/frontier lists friends.
// param frontier: list<int> -- internal node ids
// param friendships: bool -- walk FRIEND
// param follows: bool -- walk FOLLOWS from followee to follower
// returns: nodes: list<int> (internal ids of every user reached along a tie, visited or not, with repeats)
// mode: read
UNWIND $frontier AS node
MATCH (u) WHERE id(u) = node
CALL {
  WITH u
  WITH u WHERE $friendships
  MATCH (u)-[:FRIEND]-(v)
  RETURN v
  UNION ALL
  WITH u
  WITH u WHERE $follows
  MATCH (u)<-[:FOLLOWS]-(v)
  RETURN v
}
RETURN collect(id(v)) AS nodes
