// name: admin/identity_set
// description: Record the snapshots the database now holds (a load writes one; --merge adds one).
// param names: list<string> -- the snapshots' names
// param fingerprints: list<string> -- their fingerprints (users and products ids hashed)
// returns: nothing
// mode: write
MERGE (s:DiffusionSnapshot {key: 'loaded'})
SET s.names = $names, s.fingerprints = $fingerprints, s.loaded_at = datetime()
