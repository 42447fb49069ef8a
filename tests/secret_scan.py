"""No secret in any log line (issue #15), checked over every test run.

Every gateway the tests start writes its log lines, as JSON, also to files of this pytest
process (``<basetemp>/gateway-logs/``; each xdist worker has its own basetemp):

* structlog lines (every gateway in this process) and standard-library records at INFO and
  above, except those of the tests' own HTTP clients: configured once, by the session
  fixture :func:`gateway_log_files`;
* access lines: ``conftest.start_gateway`` hands :func:`access_stream` to ``create_app``;
* ``omnirelay serve`` processes: their log files are added with :func:`watch_log`.

When the session ends each process scans its own files for every secret the tests use: the
string constants of the test and support modules that name a key, secret, token, password or
signature (or hold an ``sk-...`` value), and what support modules add with :func:`register_secret`.
A secret found fails the run with the file and line of each finding; under xdist the workers
hand their findings to the controller, which fails the run.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any, TextIO

import orjson
import pytest
import structlog

from omnirelay.logging_setup import render_json

__all__ = ["access_stream", "find_secrets", "gateway_log_files", "register_secret", "watch_log"]

_TESTS = Path(__file__).resolve().parent
_SECRET_NAME = re.compile(r"(^|_)(KEY|SECRET|TOKEN|PASSWORD|SIGNATURE|ADMIN)(_|$)")
_MIN_LENGTH = 7
_FINDINGS = "omnirelay_secret_findings"
_MAX_SHOWN = 20
_TEST_CLIENTS = frozenset({"httpx", "httpcore", "openai", "anthropic", "google_genai", "replicate", "urllib3"})

_WORKER_FINDINGS = pytest.StashKey[tuple[str, ...]]()

_secrets: set[str] = set()
_watched: list[Path] = []
_directory: list[Path] = []
_access: list[TextIO] = []


def register_secret(*values: str) -> None:
    """Secrets a support module builds at run time (constants are found without this)."""
    _secrets.update(value for value in values if len(value) >= _MIN_LENGTH)


def watch_log(path: Path) -> None:
    """A file an ``omnirelay serve`` process writes its log to: scanned too at the end."""
    _watched.append(path)


def access_stream() -> TextIO | None:
    """Where in-process gateways write their access lines (``None`` before the session fixture ran)."""
    if not _access and _directory:
        _access.append((_directory[0] / "access.jsonl").open("a", encoding="utf-8", buffering=1))
    return _access[0] if _access else None


class _JsonFile:
    """A structlog processor writing each event, as JSON, to a file, then passing it on unchanged."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8", buffering=1)
        self._exceptions = structlog.processors.ExceptionRenderer()

    def __call__(self, logger: Any, name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        line = self._exceptions(logger, name, dict(event))
        line.setdefault("level", name)
        self._file.write(render_json(line) + "\n")
        return event

    def close(self) -> None:
        self._file.close()


@pytest.fixture(scope="session", autouse=True)
def gateway_log_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tee every log line of this process into ``<basetemp>/gateway-logs`` (terminal output unchanged)."""
    directory = tmp_path_factory.getbasetemp() / "gateway-logs"
    directory.mkdir(exist_ok=True)
    _directory.append(directory)
    tee = _JsonFile(directory / "structlog.jsonl")
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[*processors[:-1], tee, processors[-1]])
    handler = logging.FileHandler(directory / "stdlib.jsonl", encoding="utf-8")
    handler.setFormatter(_StdlibJson())
    handler.addFilter(_not_a_test_client)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.INFO, logging.INFO))
    try:
        yield directory
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.configure(processors=processors)
        handler.close()
        tee.close()
        for stream in _access:
            stream.close()


def _not_a_test_client(record: logging.LogRecord) -> bool:
    """The tests' own HTTP clients send keys by design (``httpx`` logs ``?key=...`` URLs): not a gateway's lines."""
    return record.name.partition(".")[0] not in _TEST_CLIENTS


class _StdlibJson(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"logger": record.name, "level": record.levelname.lower(), "event": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def _constants(modules: Iterable[object]) -> set[str]:
    """The secret-looking string constants of the test and support modules imported in this process."""
    found = set()
    for module in modules:
        path = getattr(module, "__file__", None)
        if not path or Path(path).resolve().parent != _TESTS:
            continue
        for name, value in vars(module).items():
            if not name.isupper() or not isinstance(value, str) or len(value) < _MIN_LENGTH:
                continue
            if value.startswith("/") or "://" in value:  # a path or a URL, not a credential
                continue
            if _SECRET_NAME.search(name) or value.startswith("sk-"):
                found.add(value)
    return found


def find_secrets(files: Iterable[Path], secrets: Iterable[str]) -> list[str]:
    """``<file>:<line>: <secret>`` for every secret found in ``files`` (longest match first)."""
    ordered = sorted(set(secrets), key=len, reverse=True)
    if not ordered:
        return []
    pattern = re.compile("|".join(re.escape(secret) for secret in ordered))
    findings = []
    for path in files:
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                found = pattern.search(line)
                if found:
                    findings.append(f"{path}:{number}: {found.group()!r} in {line.strip()[:300]}")
    return findings


def _own_findings() -> list[str]:
    if not _directory:
        return []
    files = sorted(_directory[0].glob("*.jsonl")) + _watched
    return find_secrets(files, _constants(list(sys.modules.values())) | _secrets)


def _report(session: pytest.Session, findings: list[str]) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"secrets in gateway logs ({len(findings)} lines; tests/secret_scan.py):", *findings[:_MAX_SHOWN]]
    if reporter is not None:
        reporter.write_sep("=", "secret found in logs", red=True)
        for line in lines:
            reporter.write_line(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_sessionfinish(session: pytest.Session) -> None:
    findings = _own_findings()
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller reports
        worker_output[_FINDINGS] = findings
        return
    from_workers = session.config.stash.get(_WORKER_FINDINGS, ())
    findings.extend(from_workers)
    if findings:
        _report(session, findings)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist controller: keep what a finished worker found."""
    found = getattr(node, "workeroutput", {}).get(_FINDINGS, [])
    if found:
        stash = node.config.stash
        stash[_WORKER_FINDINGS] = (*stash.get(_WORKER_FINDINGS, ()), *found)
