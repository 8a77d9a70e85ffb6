// name: project/friendship_probabilities
// description: Every friendship's stored probability, as three parallel lists, for edge probabilities taken from the data (`--p column`).
// param missing: float -- stands for a friendship without a probability
// returns: user_a, user_b: list<string>; probability: list<float>
// mode: read
MATCH (a:User)-[r:FRIEND]->(b:User)
RETURN collect(a.user_id) AS user_a, collect(b.user_id) AS user_b,
       collect(coalesce(r.probability, $missing)) AS probability
