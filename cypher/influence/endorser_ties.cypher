// name: influence/endorser_ties
// description: Friendships among a set of users (the endorsers), for structural diversity. Each pair once, user_a < user_b.
// param user_ids: list<string>
// returns: user_a, user_b: list<string>
// mode: read
// The users are resolved to nodes once and friends are tested by node id: reading
// and comparing every friend's user_id took twice as long (86k endorsers).
UNWIND $user_ids AS uid
MATCH (a:User {user_id: uid})
WITH collect(a) AS nodes
WITH nodes, [n IN nodes | id(n)] AS ids
UNWIND nodes AS a
MATCH (a)-[:FRIEND]-(b)
WHERE id(a) < id(b) AND id(b) IN ids
WITH a.user_id AS x, b.user_id AS y
RETURN collect(CASE WHEN x < y THEN x ELSE y END) AS user_a,
       collect(CASE WHEN x < y THEN y ELSE x END) AS user_b
