// name: export/products
// description: Every product with its properties, for `diffusion export`.
// returns: product_id, name, category: string; price: float; shop: string
// mode: read
MATCH (p:Product)
RETURN p.product_id AS product_id, p.name AS name, p.category AS category, p.price AS price,
       p.shop AS shop
