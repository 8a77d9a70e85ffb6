// name: load/products
// description: Create or update a batch of products (idempotent: MERGE on product_id).
// param product_id: list<string>
// param name: list<string?>
// param category: list<string?>
// param price: list<float?>
// param shop: list<string?>
// returns: rows: int
// mode: write
UNWIND range(0, size($product_id) - 1) AS i
MERGE (p:Product {product_id: $product_id[i]})
SET p.name = $name[i], p.category = $category[i], p.price = $price[i], p.shop = $shop[i]
RETURN count(*) AS rows
