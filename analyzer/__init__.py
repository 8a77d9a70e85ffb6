"""diffusion: how products spread through a social network stored in Neo4j."""

__version__ = "0.1.0"
