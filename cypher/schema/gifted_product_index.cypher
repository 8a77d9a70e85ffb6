// name: schema/gifted_product_index
// description: Index on GIFTED.product_id so one product's gifts are found without a scan.
// returns: nothing
// mode: schema
CREATE INDEX gifted_product IF NOT EXISTS FOR ()-[r:GIFTED]-() ON (r.product_id)
