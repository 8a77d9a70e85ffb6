// name: schema/product_id_unique
// description: Uniqueness constraint on Product.product_id.
// returns: nothing
// mode: schema
CREATE CONSTRAINT product_id_unique IF NOT EXISTS FOR (p:Product) REQUIRE p.product_id IS UNIQUE
