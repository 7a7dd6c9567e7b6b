"""axios_python's own sync HTTP/1.1 transport, alone: ``bench.py`` limited to its sync clients.

    python benchmarks/bench_transport.py [any bench.py option: --size, --repeat, --gets,
                                          --skip small, --quick, --json out.json ...]

Runs sections (a) streaming and (b) small GETs of ``bench.py`` with its sync contenders only
(``--clients sync``): axios_python on its own transport and on httpx's, httpx.Client with
``axios_python.transports.HTTPTransport`` and with its own, requests, the raw-socket loop
(and axios-python 0.2.0 when installed); same server, round-robin, tables, JSON and sync
targets as ``bench.py``, no charts unless ``--charts DIR`` is given. The async twin of this
focused run is ``bench.py --clients async --skip rss concurrent``.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench

FOCUS = ["--clients", "sync", "--skip", "rss", "concurrent"]


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    charts = [] if any(a.startswith("--charts") for a in given) else ["--no-charts"]
    return bench.main([*FOCUS, *charts, *given])


if __name__ == "__main__":
    sys.exit(main())
