// name: admin/procedures
// description: The diffusion.* server procedures this server has (none on a server without diffusion's plugin).
// returns: names: list<string>
// mode: read
SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'diffusion.'
RETURN collect(name) AS names
