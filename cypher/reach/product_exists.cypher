// name: reach/product_exists
// description: Whether a product id exists, and how many users there are in all.
// param product_id: string
// returns: exists: bool, users: int
// mode: read
OPTIONAL MATCH (p:Product {product_id: $product_id})
CALL { MATCH (u:User) RETURN count(u) AS users }
RETURN p IS NOT NULL AS exists, users
