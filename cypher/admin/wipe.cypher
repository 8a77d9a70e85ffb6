// name: admin/wipe
// description: Delete every node and relationship, in batches of 10,000 (for --replace and tests).
// returns: nothing
// mode: autocommit
MATCH (n)
CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
