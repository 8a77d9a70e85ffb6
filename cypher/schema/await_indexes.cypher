// name: schema/await_indexes
// description: Wait until every index is online before loading.
// returns: nothing
// mode: autocommit
CALL db.awaitIndexes(300)
