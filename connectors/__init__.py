"""Engines, one package each, behind the interface in ``base.py``.

Installed as ``sparkdms.connectors``. ``sql/`` holds the mechanics every relational
engine shares; ``contract/`` the suite every engine passes. The core finds engines
through ``sparkdms.registry`` (entry-point group ``sparkdms.engines``), never by name.
"""
