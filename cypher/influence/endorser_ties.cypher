// name: influence/endorser_ties
// description: Friendships among a set of users (the endorsers), for structural diversity.
// param user_ids: list<string>
// returns: user_a, user_b: list<string>
// mode: read
MATCH (a:User)-[:FRIEND]-(b:User)
WHERE a.user_id IN $user_ids AND b.user_id IN $user_ids AND a.user_id < b.user_id
RETURN collect(a.user_id) AS user_a, collect(b.user_id) AS user_b
