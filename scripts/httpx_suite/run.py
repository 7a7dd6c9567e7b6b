#!/usr/bin/env python3
"""Run httpx's published test suite over axios_python's transports, and over httpx's own.

One command, from a fresh clone::

    python scripts/httpx_suite/run.py

It downloads the sdist of the httpx version the project uses (nothing of httpx is committed),
extracts its ``tests/`` and pytest settings into a cache folder (default
``~/.cache/axios-python-httpx-suite``, or ``$AXIOS_HTTPX_SUITE_CACHE``), builds a venv there
(the project installed editable, httpx's test requirements), and runs the suite once per
mode (see ``plugin.py``): ``httpx`` (the baseline), ``axios`` (both transports replaced),
``axios-sync`` and ``axios-async`` (one replaced). It prints a table of outcomes per mode and
writes it, with every test that fails with ours but passes on the baseline (and its
category), to ``benchmarks/results/httpx-suite-<date>.txt``. Rerunning reuses the cache.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_CACHE = Path(
    os.environ.get("AXIOS_HTTPX_SUITE_CACHE", Path.home() / ".cache" / "axios-python-httpx-suite")
)
MODES = ("httpx", "axios", "axios-sync", "axios-async")
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")

# What httpx's tests import, besides httpx's extras (brotli, cli, http2, socks, zstd). The
# sdist ships no requirements.txt; these pins are those of httpx 0.28.1's repository
# (requirements.txt at the tag; click: the release of the day): with newer tools the suite's
# "filterwarnings = error" turns new deprecation warnings into failures of the baseline.
# pytest-timeout is ours: a hanging test fails after --timeout seconds, the run goes on.
TEST_REQUIREMENTS = {
    "chardet": "5.2.0",
    "click": "8.1.8",  # httpx[cli] asks click==8.*; 8.2 deprecates what test_main uses
    "cryptography": "44.0.0",
    "pytest": "8.3.4",
    "trio": "0.27.0",
    "trustme": "1.2.0",
    "uvicorn": "0.32.1",
}
PINNED_FOR = "0.28.1"
EXTRA_REQUIREMENTS = ["pytest-timeout>=2.3"]
HTTPX_EXTRAS = "brotli,cli,http2,socks,zstd"

# The triage of every test that fails with our transports and passes with httpx's (see the
# README). Category: BUG (our transport behaves differently from httpx's), N/A (the test
# checks httpcore or httpx.HTTPTransport internals, not client behaviour), ENV (environment).
# Keys are node ids, or node id prefixes ending in "[" or "::" (parametrized tests, classes).
_PROXY_POOL = (
    "N/A",
    "asserts transport._pool is an httpcore proxy pool (httpx.HTTPTransport's httpcore "
    "internals). The routing under test holds: the mounted transport is ours with the proxy "
    "URL, delegated whole to httpx's transport, whose _pool (t._delegate._pool) is that pool",
)
_TRACE = (
    "BUG",
    "the httpx CLI prints the response head (and with -v the connection and request lines) "
    "from the 'trace' request extension; our transports never call "
    "request.extensions['trace'], so only the body is printed",
)
TRIAGE: dict[str, tuple[str, str]] = {
    "tests/client/test_proxies.py::test_proxies_environ[": _PROXY_POOL,
    "tests/client/test_proxies.py::test_transport_for_request[": _PROXY_POOL,
    "tests/client/test_proxies.py::test_socks_proxy": _PROXY_POOL,
    "tests/test_api.py::test_httpcore_lazy_loading": (
        "N/A",
        "asserts that sending a request imports httpcore; ours sends HTTP/1.1 without httpcore",
    ),
    **{
        f"tests/test_main.py::{name}": _TRACE
        for name in (
            "test_get",
            "test_json",
            "test_binary",
            "test_redirects",
            "test_follow_redirects",
            "test_post",
            "test_verbose",
            "test_auth",
        )
    },
    # Failing on the baseline too, so never listed against ours; kept for the record.
    "tests/client/test_proxies.py::test_sync_proxy_close": (
        "ENV",
        "needs DNS for example.com (this machine reaches PyPI only)",
    ),
    "tests/client/test_proxies.py::test_async_proxy_close[": (
        "ENV",
        "needs DNS for example.com (this machine reaches PyPI only)",
    ),
    "tests/test_timeouts.py::test_write_timeout[trio]": (
        "ENV",
        "httpx's own transport on trio: trio's finalizer warns that the request body's async "
        "generator was collected unexhausted, an error under filterwarnings=error",
    ),
}


def log(message: str) -> None:
    print(f"[httpx-suite] {message}", flush=True)


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    log("$ " + " ".join(str(part) for part in command))
    return subprocess.run(command, check=True, text=True, **kwargs)


# -- preparing: the sdist, its tests, the venv ----------------------------------------------


def httpx_version(explicit: str | None) -> str:
    """The httpx version the project runs on: --httpx-version, this interpreter's, or the
    project's .venv's."""
    if explicit:
        return explicit
    candidates = [sys.executable, str(REPO / ".venv" / "bin" / "python")]
    for python in candidates:
        if not Path(python).exists():
            continue
        probe = subprocess.run(
            [python, "-c", "import httpx; print(httpx.__version__)"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip():
            log(f"httpx {probe.stdout.strip()} (installed for {python})")
            return probe.stdout.strip()
    raise SystemExit("httpx is not installed here: pass --httpx-version X.Y.Z")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(cache: Path) -> Path:
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}"
    venv = cache / f"venv-{tag}"
    python = venv_python(venv)
    if not python.exists():
        log(f"creating the suite's venv {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    return python


def ensure_tests(cache: Path, python: Path, version: str) -> Path:
    """httpx's tests/ (and its pyproject.toml: the pytest settings) for ``version``."""
    target = cache / f"httpx-{version}"
    done = target / ".extracted"
    if done.exists():
        log(f"httpx {version} tests: {target} (cached)")
        return target
    sdists = cache / "sdist"
    sdists.mkdir(parents=True, exist_ok=True)
    archive = next(iter(sorted(sdists.glob(f"httpx-{version}.tar.gz"))), None)
    if archive is None:
        log(f"downloading the httpx {version} sdist")
        run(
            [
                str(python),
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"httpx=={version}",
                "-d",
                str(sdists),
            ]
        )
        archive = sdists / f"httpx-{version}.tar.gz"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    prefix = f"httpx-{version}/"
    keep = ("tests/", "pyproject.toml", "requirements.txt", "setup.cfg")
    with tarfile.open(archive) as tar:
        members = []
        for member in tar.getmembers():
            if not member.name.startswith(prefix) or not (member.isfile() or member.isdir()):
                continue
            name = member.name[len(prefix) :]
            if name and name.startswith(keep):  # not httpx/: the installed httpx is tested
                member.name = name
                members.append(member)
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.12: no path tricks
            tar.extractall(target, members=members, filter="data")
        else:
            tar.extractall(target, members=members)
    done.write_text(f"{archive.name}\n")
    log(f"extracted httpx {version}'s tests into {target}")
    return target


def requirements(tests_dir: Path, version: str) -> list[str]:
    """httpx (same version, with the extras its tests use) and its test requirements."""
    pins = dict(TEST_REQUIREMENTS) if version == PINNED_FOR else dict.fromkeys(TEST_REQUIREMENTS)
    listed = tests_dir / "requirements.txt"
    if listed.exists():  # a future sdist that ships it: take its pins
        for line in listed.read_text().splitlines():
            name, sep, pin = line.split("#")[0].strip().partition("==")
            if sep and name.lower() in pins:
                pins[name.lower()] = pin.strip()
    specs = [f"httpx[{HTTPX_EXTRAS}]=={version}"]
    specs += [f"{name}=={pin}" if pin else name for name, pin in pins.items()]
    return specs + EXTRA_REQUIREMENTS


def ensure_packages(python: Path, specs: list[str]) -> None:
    """Install the project (editable) and ``specs``; skipped when nothing changed."""
    project = (REPO / "pyproject.toml").read_bytes()
    stamp_text = hashlib.sha256(repr(specs).encode() + project).hexdigest()
    stamp = python.parents[1] / ".axios-suite-installed"
    if stamp.exists() and stamp.read_text() == stamp_text:
        log("suite venv up to date (cached)")
        return
    log("installing the project and httpx's test requirements into the suite venv")
    run([str(python), "-m", "pip", "install", "--quiet", "-e", str(REPO), *specs])
    stamp.write_text(stamp_text)


def available_modes(python: Path) -> dict[str, str | None]:
    """Mode -> None when it can run, else why not."""
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import json, sys; sys.path.insert(0, sys.argv[1]); import plugin; "
            "print(json.dumps({k: v is not None for k, v in plugin.axios_classes().items()}))",
            str(HERE),
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        why = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return {mode: None if mode == "httpx" else f"import failed: {why}" for mode in MODES}
    has = json.loads(probe.stdout)
    status: dict[str, str | None] = {"httpx": None}
    for mode, names in (
        ("axios", ["HTTPTransport", "AsyncHTTPTransport"]),
        ("axios-sync", ["HTTPTransport"]),
        ("axios-async", ["AsyncHTTPTransport"]),
    ):
        missing = [name for name in names if not has.get(name)]
        status[mode] = (
            f"not available (axios_python.transports has no {', '.join(missing)})"
            if missing
            else None
        )
    return status


# -- running --------------------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    note: str | None = None  # "not available", a crash...
    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    log: Path | None = None

    def counts(self) -> Counter[str]:
        return Counter(entry["outcome"] for entry in self.tests.values())

    def exercised(self) -> tuple[int, int, int]:
        """Tests whose requests went (ours only, ours delegating to httpx's, httpx's only)."""
        ours = delegated = theirs = 0
        for entry in self.tests.values():
            used = entry.get("used", ())
            mine = any(label.startswith("ours") for label in used)
            httpx = any(label.startswith("httpx") for label in used)
            ours += mine and not httpx
            delegated += mine and httpx
            theirs += httpx and not mine
        return ours, delegated, theirs


def run_mode(
    python: Path, tests_dir: Path, cache: Path, mode: str, timeout: int, extra: list[str]
) -> ModeResult:
    logs = cache / "logs"
    logs.mkdir(exist_ok=True)
    report, log_path = logs / f"{mode}.json", logs / f"{mode}.log"
    report.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("AXIOS_HTTPX_TRANSPORT", None)
    command = [
        str(python),
        "-m",
        "pytest",
        "-p",
        "plugin",
        "-p",
        "no:cacheprovider",
        f"--transport={mode}",
        f"--axios-report={report}",
        f"--timeout={timeout}",
        "-q",
        "-rfE",
        "tests",
        *extra,
    ]
    log(f"mode {mode}: running httpx's tests (log: {log_path})")
    started = time.monotonic()
    with log_path.open("w") as out:
        process = subprocess.run(
            command, cwd=tests_dir, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )
    result = ModeResult(mode, seconds=time.monotonic() - started, log=log_path)
    if report.exists():
        result.tests = json.loads(report.read_text())["tests"]
    else:
        tail = log_path.read_text().strip().splitlines()[-5:]
        result.note = f"pytest exited {process.returncode} without a report: " + " | ".join(tail)
    summary = next(
        (line for line in reversed(log_path.read_text().splitlines()) if " in " in line), ""
    )
    log(f"mode {mode}: {summary.strip('= ') or result.note} ({result.seconds:.0f} s)")
    return result


# -- reporting ------------------------------------------------------------------------------


def triage(nodeid: str, message: str) -> tuple[str, str]:
    if nodeid in TRIAGE:
        return TRIAGE[nodeid]
    for key, value in TRIAGE.items():
        if key.endswith(("[", "::")) and nodeid.startswith(key):
            return value
    if "_pool" in message or "httpcore" in message.lower():
        return "N/A?", f"untriaged, mentions httpcore internals: {message}"
    return "UNTRIAGED", message


def table(results: list[ModeResult]) -> list[str]:
    header = ["mode", *OUTCOMES, "total", "ours", "ours+delegate", "httpx's", "time"]
    rows = [header]
    for result in results:
        if result.note and not result.tests:
            rows.append([result.mode, result.note])
            continue
        counts = result.counts()
        rows.append(
            [
                result.mode,
                *(str(counts.get(outcome, 0)) for outcome in OUTCOMES),
                str(sum(counts.values())),
                *(str(n) for n in result.exercised()),
                f"{result.seconds:.0f} s",
            ]
        )
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(len(header))]
    lines = []
    for row in rows:
        if len(row) == 2 and row is not header:
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]}")
        else:
            lines.append("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)))
    return lines


def regressions(baseline: ModeResult, result: ModeResult) -> list[tuple[str, str, str, str]]:
    """(nodeid, outcome, category, reason) of tests passing on the baseline, not here."""
    found = []
    for nodeid, entry in sorted(result.tests.items()):
        if entry["outcome"] in ("passed", "skipped", "xfailed"):
            continue
        if baseline.tests.get(nodeid, {}).get("outcome") != "passed":
            continue
        category, reason = triage(nodeid, entry.get("message", ""))
        found.append((nodeid, entry["outcome"], category, reason))
    return found


def report(results: list[ModeResult], version: str, python: Path) -> list[str]:
    baseline = next(r for r in results if r.mode == "httpx")
    probe = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
    )
    lines = [
        f"httpx's test suite (httpx {version} sdist, tests/) over axios_python's transports",
        f"date: {datetime.datetime.now().isoformat(timespec='seconds')}; "
        f"Python {probe.stdout.strip()}; command: python scripts/httpx_suite/run.py",
        "modes: httpx = httpx's own transports (baseline); axios = axios_python.transports"
        " HTTPTransport and AsyncHTTPTransport; axios-sync / axios-async = only one replaced.",
        "ours / ours+delegate / httpx's: tests that sent requests through our transports only /"
        " through ours delegating to httpx's (HTTP/2, proxies, uds; async: trio) / through"
        " httpx's only. The rest use MockTransport, ASGI/WSGI transports or no transport.",
        "",
        *table(results),
        "",
    ]
    if baseline.note:
        lines += [f"baseline problem: {baseline.note}", ""]
    for result in results:
        if result.mode == "httpx":
            continue
        if result.note and not result.tests:
            lines.append(f"{result.mode}: {result.note}")
            continue
        found = regressions(baseline, result)
        by_category = Counter(category for _, _, category, _ in found)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(by_category.items()))
        lines.append(
            f"{result.mode}: {len(found)} tests pass on the baseline and fail here"
            + (f" ({summary})" if summary else "")
        )
        groups: dict[tuple[str, str], list[str]] = {}
        for nodeid, outcome, category, reason in found:
            suffix = "" if outcome == "failed" else f" ({outcome})"
            groups.setdefault((category, reason), []).append(nodeid + suffix)
        for (category, reason), nodeids in sorted(groups.items()):
            lines.append(f"  [{category}] {len(nodeids)} test(s): {reason}")
            lines += [f"      {nodeid}" for nodeid in nodeids]
        lines.append("")
    baseline_failures = [
        (nodeid, entry)
        for nodeid, entry in sorted(baseline.tests.items())
        if entry["outcome"] in ("failed", "error")
    ]
    if baseline_failures:
        lines.append(f"baseline failures ({len(baseline_failures)}; not counted against ours):")
        for nodeid, entry in baseline_failures:
            category, reason = triage(nodeid, entry.get("message", ""))
            lines.append(f"  [{category}] {nodeid} ({entry['outcome']}): {reason}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--httpx-version", default=None)
    parser.add_argument("--timeout", type=int, default=60, help="per test, seconds")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default: benchmarks/results/httpx-suite-<date>.txt ('-' for none)",
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest")
    args = parser.parse_args(argv)

    cache: Path = args.cache.expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    version = httpx_version(args.httpx_version)
    python = ensure_venv(cache)
    tests_dir = ensure_tests(cache, python, version)
    ensure_packages(python, requirements(tests_dir, version))
    status = available_modes(python)

    modes = ["httpx", *(mode for mode in args.modes if mode != "httpx")]
    results: list[ModeResult] = []
    for mode in modes:
        if status[mode] is not None:
            log(f"mode {mode}: {status[mode]}")
            results.append(ModeResult(mode, note=status[mode]))
            continue
        results.append(run_mode(python, tests_dir, cache, mode, args.timeout, args.pytest_args))

    lines = report(results, version, python)
    print()
    print("\n".join(lines))
    if str(args.output) != "-":
        output = args.output or (
            REPO / "benchmarks" / "results" / f"httpx-suite-{datetime.date.today()}.txt"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("\n".join(lines) + "\n")
        log(f"written {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
