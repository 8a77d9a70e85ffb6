// name: export/users
// description: Every user with its properties, for `diffusion export`.
// returns: user_id, name, age_group, region: string; joined_at: int (epoch ms)
// mode: read
MATCH (u:User)
RETURN u.user_id AS user_id, u.name AS name, u.age_group AS age_group, u.region AS region,
       u.joined_at.epochMillis AS joined_at
