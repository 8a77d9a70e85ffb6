"""The engines that answer an analysis's questions.

``duckdb`` runs the rules of ``sql/`` (see :mod:`analyzer.rules`) in process over a
snapshot's integer-coded columns. The Neo4j engine, and the contract both keep, are still
in :mod:`analyzer.sources` while they move here.
"""
