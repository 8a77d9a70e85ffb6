// name: load/users_create
// description: Create a batch of users (fast path: used while the database has no User at all).
// param user_id: list<string>
// param name: list<string?>
// param age_group: list<string?>
// param region: list<string?>
// param joined_at: list<int?> -- epoch milliseconds, UTC
// returns: rows: int
// mode: write
UNWIND range(0, size($user_id) - 1) AS i
CREATE (u:User {user_id: $user_id[i]})
SET u.name = $name[i], u.age_group = $age_group[i], u.region = $region[i],
    u.joined_at = CASE WHEN $joined_at[i] IS NULL THEN null ELSE datetime({epochMillis: $joined_at[i]}) END
RETURN count(*) AS rows
