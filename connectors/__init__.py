"""Connectors, one module per engine family; found through ``sparkdms.registry``."""
