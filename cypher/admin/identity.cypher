// name: admin/identity
// description: The snapshots the database was loaded from (their names and fingerprints), if any load recorded them.
// returns: names: list<string>, fingerprints: list<string>
// mode: read
OPTIONAL MATCH (s:DiffusionSnapshot {key: 'loaded'})
RETURN coalesce(s.names, []) AS names, coalesce(s.fingerprints, []) AS fingerprints
