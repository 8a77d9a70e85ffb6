// name: project/friendships
// description: Every friendship as two parallel id lists, for the in-memory CSR projection.
// returns: user_a, user_b: list<string>
// mode: read
MATCH (a:User)-[:FRIEND]->(b:User)
RETURN collect(a.user_id) AS user_a, collect(b.user_id) AS user_b
