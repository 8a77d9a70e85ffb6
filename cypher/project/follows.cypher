// name: project/follows
// description: Every follow and its stored probability, as three parallel lists, for influence over follows (`--over follows|both`): it flows from followee to follower.
// param missing: float -- stands for a follow without a probability
// returns: follower_id, followee_id: list<string>; probability: list<float>
// mode: read
MATCH (f:User)-[r:FOLLOWS]->(t:User)
RETURN collect(f.user_id) AS follower_id, collect(t.user_id) AS followee_id,
       collect(coalesce(r.probability, $missing)) AS probability
