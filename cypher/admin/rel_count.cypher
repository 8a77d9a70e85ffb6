// name: admin/rel_count
// description: Relationship counts by type (from the counts store, constant time).
// returns: friend, follows, promoted, shared, liked, purchased, gifted, exposed: int
// mode: read
CALL { MATCH ()-[r:FRIEND]->() RETURN count(r) AS friend }
CALL { MATCH ()-[r:FOLLOWS]->() RETURN count(r) AS follows }
CALL { MATCH ()-[r:PROMOTED]->() RETURN count(r) AS promoted }
CALL { MATCH ()-[r:SHARED]->() RETURN count(r) AS shared }
CALL { MATCH ()-[r:LIKED]->() RETURN count(r) AS liked }
CALL { MATCH ()-[r:PURCHASED]->() RETURN count(r) AS purchased }
CALL { MATCH ()-[r:GIFTED]->() RETURN count(r) AS gifted }
CALL { MATCH ()-[r:EXPOSED]->() RETURN count(r) AS exposed }
RETURN friend, follows, promoted, shared, liked, purchased, gifted, exposed
