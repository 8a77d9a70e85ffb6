// name: reach/seed_reach
// description: The users within 1..hops friendships of one seed (excluding the seed), by pruning BFS.
// param seed: string -- a user id
// slot hops: int 1..12
// returns: users: list<string>
// mode: read
MATCH (s:User {user_id: $seed})
MATCH (s)-[:FRIEND*1..{{hops}}]-(v:User)
WHERE v <> s
RETURN collect(DISTINCT v.user_id) AS users
