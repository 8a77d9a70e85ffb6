// name: stats/degrees
// description: Summary of the friendship degree distribution (friends per user).
// returns: users, isolated, min, max: int; mean, p50, p90, p99: float
// mode: read
MATCH (u:User)
WITH COUNT { (u)-[:FRIEND]-() } AS d
RETURN count(*) AS users, sum(CASE WHEN d = 0 THEN 1 ELSE 0 END) AS isolated,
       min(d) AS min, max(d) AS max, avg(d) AS mean,
       percentileDisc(d, 0.5) AS p50, percentileDisc(d, 0.9) AS p90, percentileDisc(d, 0.99) AS p99
