// name: procedures/exposed_users
// description: domains/exposed_users answered by the diffusion.exposed_users server procedure.
// param product_ids: list<string>
// returns: product_id: string; users: int
// mode: read
CALL diffusion.exposed_users($product_ids)
YIELD product_id, users
RETURN product_id, users
