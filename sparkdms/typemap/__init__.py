"""Per-dialect type tables: native -> logical and logical -> native."""
