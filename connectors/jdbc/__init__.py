"""Relational engines reached through JDBC (reads) and their Python DB-API drivers
(discovery, DDL and the Arrow-batch writers)."""
