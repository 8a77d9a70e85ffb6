// name: admin/loads_running
// description: The diffusion loads writing to the database now: transactions holding the load lock, found by their metadata (a load whose client died has none).
// returns: loads: int, since: string
// mode: autocommit
SHOW TRANSACTIONS YIELD metaData, startTime
WHERE metaData.diffusion = 'load'
RETURN count(*) AS loads, toString(min(startTime)) AS since
