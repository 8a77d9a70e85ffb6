// name: schema/shared_product_index
// description: Index on SHARED.product_id so one product's shares are found without a scan.
// returns: nothing
// mode: schema
CREATE INDEX shared_product IF NOT EXISTS FOR ()-[r:SHARED]-() ON (r.product_id)
