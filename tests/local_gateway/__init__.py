"""The gateway as local processes: Kong 3.9.3 (``KONG_HOME``), Postgres and Redis from Debian, echo backends.

``make live-up`` / ``make live-down`` / ``make live`` (docs/LOCAL_GATEWAY.md). Kong gets what the Docker platform
ships, from the same functions; the differences are listed in node.py.
"""
