// name: admin/node_count
// description: Node counts by label (from the counts store, constant time).
// returns: users, products: int
// mode: read
CALL { MATCH (u:User) RETURN count(u) AS users }
CALL { MATCH (p:Product) RETURN count(p) AS products }
RETURN users, products
