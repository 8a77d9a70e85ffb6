// name: export/friendships
// description: Every friendship, once per pair, for `diffusion export`.
// returns: user_a, user_b: string; since: int (epoch ms); probability: float
// mode: read
MATCH (a:User)-[r:FRIEND]->(b:User)
RETURN a.user_id AS user_a, b.user_id AS user_b, r.since.epochMillis AS since,
       r.probability AS probability
