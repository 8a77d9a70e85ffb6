// name: admin/totals
// description: How many nodes (the load lock's aside) and relationships the database holds, of any label or type (from the counts store).
// returns: nodes: int, relationships: int
// mode: read
CALL { MATCH (n) RETURN count(n) AS all_nodes }
CALL { MATCH (l:DiffusionLock) RETURN count(l) AS locks }
CALL { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN all_nodes - locks AS nodes, relationships
