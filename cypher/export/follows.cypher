// name: export/follows
// description: Every follow, follower to followee, for `diffusion export`.
// returns: follower_id, followee_id: string; since: int (epoch ms); probability: float
// mode: read
MATCH (f:User)-[r:FOLLOWS]->(t:User)
RETURN f.user_id AS follower_id, t.user_id AS followee_id, r.since.epochMillis AS since,
       r.probability AS probability
