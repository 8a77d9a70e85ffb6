// name: admin/wipe_relationships
// description: Delete up to $batch relationships (--replace empties the database in such batches, so no transaction outgrows its memory, however dense a node).
// param batch: int -- relationships to delete in this transaction
// returns: deleted: int
// mode: write
MATCH ()-[r]->()
WITH r LIMIT $batch
DELETE r
RETURN count(r) AS deleted
