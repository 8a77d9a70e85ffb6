// name: reach/ball_ties
// description: The arcs of influence leaving a list of users (internal node ids): both arcs of each friendship at each end (when friendships is true) and followee -> follower for each follow at the followee (when follows is true). The caller keeps those whose other end is in its list too, which gives the graph induced on the users within H hops of a seed set, as reach/ball_friendships does for friendships.
// param nodes: list<int> -- internal node ids
// param friendships: bool -- walk FRIEND
// param follows: bool -- walk FOLLOWS from followee to follower
// returns: a, b: list<int> -- internal node ids of each arc's sender (in the list) and receiver
// mode: read
UNWIND $nodes AS node
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
RETURN collect(node) AS a, collect(id(v)) AS b
