"""A pytest plugin that runs httpx's own test suite over axios_python's transports.

Load it with ``-p plugin`` (this folder on ``PYTHONPATH``) and pick the transports with
``--transport`` (or the ``AXIOS_HTTPX_TRANSPORT`` environment variable):

========== =====================================================================
httpx      baseline: httpx's own ``HTTPTransport`` / ``AsyncHTTPTransport``
axios      both replaced by ``axios_python.transports``' classes
axios-sync only ``HTTPTransport`` replaced
axios-async only ``AsyncHTTPTransport`` replaced
========== =====================================================================

The replacement happens before httpx's ``conftest.py`` and test modules are imported: every
``httpx`` module that holds httpx's class under the name ``HTTPTransport`` or
``AsyncHTTPTransport`` gets ours instead (``httpx``, ``httpx._client``, where ``Client`` and
``AsyncClient`` build their default transports and the transports of ``mounts``/proxies,
``httpx._transports`` and ``httpx._transports.default``). So ``httpx.Client()`` uses ours,
and so does every test that builds ``httpx.HTTPTransport(...)`` itself.

Nothing is hidden: a test that checks ``isinstance(t, httpx.HTTPTransport)`` sees our class
(it passes), and then reaches ``t._pool`` (httpcore's connection pool) and fails; a test
about httpcore's exception mapping fails if ours raises differently. A test that re-imports
``httpx`` (``test_httpcore_lazy_loading``) gets the new module patched too, with
``axios_python`` re-imported against it, so the reloaded httpx runs over our transport.

``--axios-report=PATH`` writes a JSON file: per test, its outcome, a one-line message and
which transports its requests went through (``ours-sync``, ``ours-async``: our classes;
``httpx-sync``, ``httpx-async``: httpx's own, directly or as the delegate of ours for
HTTP/2, proxies and Unix sockets), so the runner can tell how many tests really exercised
the transport under test.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

MODES = ("httpx", "axios", "axios-sync", "axios-async")
ENV_MODE = "AXIOS_HTTPX_TRANSPORT"
NAMES = ("HTTPTransport", "AsyncHTTPTransport")


class TransportNotAvailable(Exception):
    """The mode needs a transport class axios_python does not provide (yet)."""


# -- which test is running, and which transports it used ------------------------------------

_current: str | None = None
_used: dict[str, set[str]] = {}


def _record(label: str) -> None:
    if _current is not None:
        _used.setdefault(_current, set()).add(label)


def _wrap_sync(cls: type, label: str) -> None:
    method = cls.__dict__.get("handle_request")
    if method is None or getattr(method, "_axios_suite_label", None):
        return

    @functools.wraps(method)
    def handle_request(self: Any, request: Any) -> Any:
        _record(label)
        return method(self, request)

    handle_request._axios_suite_label = label  # type: ignore[attr-defined]
    cls.handle_request = handle_request  # type: ignore[attr-defined]


def _wrap_async(cls: type, label: str) -> None:
    method = cls.__dict__.get("handle_async_request")
    if method is None or getattr(method, "_axios_suite_label", None):
        return

    @functools.wraps(method)
    async def handle_async_request(self: Any, request: Any) -> Any:
        _record(label)
        return await method(self, request)

    handle_async_request._axios_suite_label = label  # type: ignore[attr-defined]
    cls.handle_async_request = handle_async_request  # type: ignore[attr-defined]


# -- the replacement ------------------------------------------------------------------------


def axios_classes(import_fresh: bool = False) -> dict[str, type | None]:
    """axios_python's transport classes by httpx name; None for one that does not exist."""
    if import_fresh:  # httpx was re-imported: build ours on the new httpx module
        for name in [n for n in sys.modules if n == "axios_python" or n.startswith("axios_")]:
            del sys.modules[name]
    transports = importlib.import_module("axios_python.transports")
    found: dict[str, type | None] = {}
    for name, module_name in (("HTTPTransport", "_sync"), ("AsyncHTTPTransport", "_async")):
        cls = getattr(transports, name, None)
        if cls is None:
            try:
                module = importlib.import_module(f"axios_python.transports.{module_name}")
            except ImportError:
                module = None
            cls = getattr(module, name, None)
        found[name] = cls
    return found


def wanted(mode: str) -> tuple[str, ...]:
    return {
        "httpx": (),
        "axios": NAMES,
        "axios-sync": ("HTTPTransport",),
        "axios-async": ("AsyncHTTPTransport",),
    }[mode]


def apply(mode: str, import_fresh: bool = False) -> dict[str, tuple[type, type]]:
    """Replace httpx's transport classes for ``mode``; returns {name: (httpx's, ours)}."""
    httpx = sys.modules["httpx"]
    default = sys.modules["httpx._transports.default"]
    if hasattr(default, "_axios_suite_originals"):
        # Already patched: httpx's package module alone was re-imported (its submodules,
        # still in sys.modules, were reused): give the new module the same classes.
        originals = default._axios_suite_originals
        import_fresh = False
    else:
        originals = {name: getattr(default, name) for name in NAMES}
    _wrap_sync(originals["HTTPTransport"], "httpx-sync")
    _wrap_async(originals["AsyncHTTPTransport"], "httpx-async")
    names = wanted(mode)
    if not names:
        return {}
    ours = default._axios_suite_ours if hasattr(default, "_axios_suite_ours") else {}
    ours = ours or axios_classes(import_fresh)
    missing = [name for name in names if ours[name] is None]
    if missing:
        raise TransportNotAvailable(
            f"axios_python.transports has no {', '.join(missing)}: mode {mode!r} not available"
        )
    replaced: dict[str, tuple[type, type]] = {}
    for name in names:
        cls = ours[name]
        assert cls is not None
        (_wrap_sync if name == "HTTPTransport" else _wrap_async)(
            cls, "ours-sync" if name == "HTTPTransport" else "ours-async"
        )
        for module_name, module in list(sys.modules.items()):
            if module_name != "httpx" and not module_name.startswith("httpx."):
                continue
            if getattr(module, name, None) is originals[name]:
                setattr(module, name, cls)
        replaced[name] = (originals[name], cls)
    _shield(httpx, originals)
    default._axios_suite_originals = originals  # type: ignore[attr-defined]
    default._axios_suite_ours = ours  # type: ignore[attr-defined]
    client = sys.modules["httpx._client"]
    for name, (_, cls) in replaced.items():  # fail loudly if httpx moved its classes
        for module in (httpx, client, default):
            if getattr(module, name) is not cls:
                raise RuntimeError(f"could not replace {module.__name__}.{name}")
    return replaced


class _HttpxAsShipped(types.ModuleType):
    """``httpx`` with its own transport classes, for our transport modules.

    Ours delegate HTTP/2, proxies and Unix sockets to ``httpx.HTTPTransport(...)``, looked up
    at call time: with ``httpx.HTTPTransport`` replaced by ours that would build ours again,
    forever (RecursionError). Their module global ``httpx`` becomes this view: every name is
    httpx's, except the two transport classes, which are httpx's originals.
    """

    def __init__(self, real: types.ModuleType, originals: dict[str, type]) -> None:
        super().__init__(real.__name__, real.__doc__)
        self.__dict__["_real"] = real
        self.__dict__.update(originals)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_real"], name)


def _shield(real: types.ModuleType, originals: dict[str, type]) -> None:
    view = _HttpxAsShipped(real, originals)
    for name, module in list(sys.modules.items()):
        if name.startswith("axios_python.transports") and getattr(module, "httpx", None) is real:
            module.httpx = view  # type: ignore[attr-defined]


class _Loader(importlib.abc.Loader):
    """Wraps httpx's loader: once a (re-)imported httpx has run, patch it."""

    def __init__(self, inner: importlib.abc.Loader, mode: str) -> None:
        self._inner = inner
        self._mode = mode

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._inner.exec_module(module)
        apply(self._mode, import_fresh="axios_python" in sys.modules)


class _HttpxImportHook(importlib.abc.MetaPathFinder):
    def __init__(self, mode: str) -> None:
        self._mode = mode
        self._busy = False

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "httpx" or self._busy:
            return None
        self._busy = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy = False
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader, self._mode)
        return spec


_installed: str | None = None


def install(mode: str) -> None:
    """Patch httpx for ``mode`` now, and again whenever httpx is re-imported."""
    global _installed
    if mode not in MODES:
        raise pytest.UsageError(f"--transport must be one of {', '.join(MODES)}, not {mode!r}")
    if _installed is not None:
        return
    _installed = mode
    sys.meta_path.insert(0, _HttpxImportHook(mode))
    try:
        if "httpx" in sys.modules:
            apply(mode)
        else:
            importlib.import_module("httpx")  # the hook patches it
    except TransportNotAvailable as exc:
        raise pytest.UsageError(str(exc)) from exc


# -- pytest hooks ---------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("axios-httpx-suite")
    group.addoption(
        "--transport",
        default=os.environ.get(ENV_MODE, "httpx"),
        choices=MODES,
        help=f"whose transport classes httpx uses (default: ${ENV_MODE} or httpx)",
    )
    group.addoption("--axios-report", default=None, help="write a JSON report to this path")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    install(early_config.known_args_namespace.transport)


def pytest_configure(config: pytest.Config) -> None:
    install(config.getoption("transport"))  # no-op when the early hook ran


def pytest_report_header(config: pytest.Config) -> list[str]:
    client = sys.modules["httpx._client"]
    httpx = sys.modules["httpx"]
    return [
        f"axios-httpx-suite: --transport={_installed}",
        f"  httpx.HTTPTransport = {httpx.HTTPTransport.__module__}.HTTPTransport",
        f"  httpx.AsyncHTTPTransport = {httpx.AsyncHTTPTransport.__module__}",
        f"  httpx._client.HTTPTransport = {client.HTTPTransport.__module__}",
        f"  httpx._client.AsyncHTTPTransport = {client.AsyncHTTPTransport.__module__}",
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    global _current
    _current = item.nodeid
    try:
        return (yield)
    finally:
        _current = None


_results: dict[str, dict[str, Any]] = {}


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        text = str(crash.message)
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        text = str(longrepr[2])
    else:
        text = str(longrepr or "")
        lines = [line for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("E ")]
        text = (errors or lines or [""])[-1]
    return " ".join(text.split())[:300]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            entry["outcome"] = "xfailed" if report.skipped else "xpassed"
        elif report.skipped:
            entry["outcome"] = "skipped"
        elif report.failed:
            entry["outcome"] = "error" if report.when == "setup" else "failed"
        if not report.passed:
            entry["message"] = _message(report)
    elif report.when == "teardown" and report.failed and entry["outcome"] == "passed":
        entry["outcome"] = "error"
        entry["message"] = "teardown: " + _message(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _results[report.nodeid or "<collection>"] = {
            "outcome": "error",
            "message": "collection: " + _message(report),
        }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("axios_report")
    if not path:
        return
    for nodeid, entry in _results.items():
        entry["used"] = sorted(_used.get(nodeid, ()))
    ours = axios_classes() if _installed != "httpx" else {}
    Path(path).write_text(
        json.dumps(
            {
                "mode": _installed,
                "exitstatus": int(exitstatus),
                "classes": {
                    name: f"{c.__module__}.{c.__qualname__}" for name, c in ours.items() if c
                },
                "tests": _results,
            },
            indent=1,
            sort_keys=True,
        )
    )
