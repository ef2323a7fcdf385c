"""What every relational engine shares: the JDBC read, the DB-API staging load with its
per-partition commit protocol, filters and partitions as SQL, and the objects created
after the load. Not an engine: engine packages build on it."""
