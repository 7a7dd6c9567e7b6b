"""``python -m axios_python demo``: the same commands as the ``axios-python`` script."""

from __future__ import annotations

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
