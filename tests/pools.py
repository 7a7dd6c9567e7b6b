"""How many connections a client's pool holds, whichever transport carries it.

httpx's transport keeps them in an httpcore pool (``pool.connections``: idle and in use);
axios_python's own transports count them (``pool.total``: open or being opened). Tests that
check a connection was reused or released ask here instead of reading either directly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pooled_connections"]


def pooled_connections(client: Any) -> int:
    """Connections (idle or in use) that ``client``'s default transport holds open."""
    pool = client._transport._pool
    connections = getattr(pool, "connections", None)
    if connections is not None:  # httpcore
        return len(connections)
    return int(pool.total)  # axios_python.transports
