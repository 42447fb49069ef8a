"""``omnirelay serve --workers N``: a small supervisor forking N gateway workers on one port.

Why our own and not uvicorn's ``workers=``: uvicorn spawns fresh interpreters and pickles its
config to them, so the app would have to be rebuilt from an import string and the settings
(and our HTTP protocol class, built from them) passed through the environment; its workers get
no stable number either. Forking after start-up instead gives every worker the loaded settings,
the logging set-up and the imported code as they are (copy-on-write), and a slot number that a
replacement keeps (for its metrics file, :mod:`omnirelay.observability.shared_metrics`).

* **Sockets**: each slot listens on its own socket, bound to the same address with
  ``SO_REUSEPORT``, so the kernel spreads new connections evenly over the workers (one socket
  shared by all lets the first worker to wake accept a whole burst). The supervisor binds them
  (a port in use, by anything, is refused once at start) and closes a slot's socket when its
  worker dies: new connections go to the living ones meanwhile.
* **Start**: one worker after the other, each once the previous one is ready, so the start-up
  work that writes to the store (the admin key, the local channel) is done by one at a time.
  If a worker cannot start at all, the others are stopped and ``serve`` exits with its code.
* **Restarts**: a worker that dies is replaced in its slot, at once when it had run a while,
  with a growing pause (up to 30 s) when it keeps dying early.
* **SIGTERM / SIGINT**: the sockets are closed, every worker is told to stop (each drains its
  requests and streams for ``server.shutdown_grace_s``, commits its write-behind and gives up
  its lease), and a worker still running ``_CLOSE_MARGIN_S`` after the grace is killed.
  ``serve`` exits 0 when every worker stopped cleanly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn

import structlog

from omnirelay.observability.shared_metrics import WorkerSlot
from omnirelay.runtime import Runtime
from omnirelay.serving.worker import STARTUP_FAILURE, run_server
from omnirelay.settings import Settings

__all__ = ["Supervisor", "listening_socket"]

log = structlog.get_logger("omnirelay.supervisor")

_BACKLOG = 2048
_READY_TIMEOUT_S = 300.0
_CLOSE_MARGIN_S = 15.0
"""After the grace period: time a worker has to close its runtime (commit, give up its lease)."""
_EARLY_DEATH_S = 10.0
_MAX_PAUSE_S = 30.0
_TICK_S = 0.2
_PR_SET_PDEATHSIG = 1


@dataclass
class _Worker:
    index: int
    sock: socket.socket | None = None
    pid: int = 0
    started_at: float = 0.0
    early_deaths: int = 0
    restart_at: float = 0.0


def listening_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A socket bound to ``host:port`` (not yet listening); OSError when the port is taken."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _stop_with_parent(parent: int) -> None:
    """Have Linux send this worker SIGTERM when the supervisor dies (killed with SIGKILL, say),
    so no orphaned worker keeps the port; elsewhere, workers outlive a killed supervisor."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


class Supervisor:
    """Runs ``server.workers`` workers until SIGTERM or SIGINT; :meth:`run` returns the exit code."""

    def __init__(self, settings: Settings, on_ready: Callable[[Runtime], None] | None = None) -> None:
        self._settings = settings
        self._on_ready = on_ready
        self._workers = [_Worker(index) for index in range(settings.server.workers)]
        self._stopping = threading.Event()
        self._port = settings.server.port
        self._directory = Path()
        self._pid = os.getpid()

    def run(self) -> int:
        try:
            self._port = self._reserve_port()
        except OSError as exc:
            log.error("could not listen", host=self._settings.server.host, port=self._port, error=str(exc))
            return STARTUP_FAILURE
        previous = {sig: signal.signal(sig, self._stop_requested) for sig in (signal.SIGTERM, signal.SIGINT)}
        self._directory = Path(tempfile.mkdtemp(prefix="omnirelay-metrics-"))
        try:
            code = self._boot()
            if code == 0:
                self._supervise()
            return self._stop() or code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            shutil.rmtree(self._directory, ignore_errors=True)

    def _reserve_port(self) -> int:
        """The port, checked free for us (a socket without ``SO_REUSEPORT`` binds only if nobody listens)."""
        probe = listening_socket(self._settings.server.host, self._port, shared=False)
        port = int(probe.getsockname()[1])
        probe.close()
        return port

    def _stop_requested(self, signum: int, frame: FrameType | None) -> None:
        self._stopping.set()

    def _boot(self) -> int:
        """Start the workers one after the other; 0, or the exit code of one that could not start."""
        for worker in self._workers:
            if self._stopping.is_set():
                return 0
            code = self._start(worker)
            if code is not None:
                return code
        log.info("all workers ready", workers=len(self._workers), pid=os.getpid())
        return 0

    def _start(self, worker: _Worker) -> int | None:
        """Fork ``worker`` and wait until it is ready: None, or its exit code when it died first."""
        try:
            worker.sock = listening_socket(self._settings.server.host, self._port, shared=True)
            worker.sock.listen(_BACKLOG)
        except OSError as exc:
            log.error("could not listen", worker=worker.index, port=self._port, error=str(exc))
            return STARTUP_FAILURE
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            self._child(worker, worker.sock, write_fd)
        os.close(write_fd)
        worker.pid, worker.started_at = pid, time.monotonic()
        log.info("worker started", worker=worker.index, pid=pid)
        try:
            ready = self._wait_ready(read_fd)
        finally:
            os.close(read_fd)
        if ready or self._stopping.is_set():
            return None
        _, status = os.waitpid(pid, 0)
        self._died(worker)
        return _exit_code(status) or STARTUP_FAILURE

    def _wait_ready(self, read_fd: int) -> bool:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline and not self._stopping.is_set():
            readable, _, _ = select.select([read_fd], [], [], _TICK_S)
            if readable:
                return os.read(read_fd, 1) == b"1"  # nothing: the worker exited before it was ready
        return False

    def _child(self, worker: _Worker, sock: socket.socket, ready_fd: int) -> NoReturn:
        """The worker process: serve on ``sock`` until told to stop, then exit (never returns)."""
        code = 1
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            _stop_with_parent(self._pid)
            for other in self._workers:
                if other.sock is not None and other is not worker:
                    other.sock.close()
            slot = WorkerSlot(worker.index, self._directory, self._settings.metrics.workers_interval_s)
            code = run_server(self._settings, on_ready=self._ready_notice(ready_fd), sockets=[sock], worker=slot)
        except BaseException:  # the supervisor learns it from the exit code
            log.exception("worker failed", worker=worker.index)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _ready_notice(self, ready_fd: int) -> Callable[[Runtime], None]:
        def ready(runtime: Runtime) -> None:
            if self._on_ready is not None:
                self._on_ready(runtime)
            os.write(ready_fd, b"1")
            os.close(ready_fd)

        return ready

    def _supervise(self) -> None:
        """Until told to stop: notice dead workers and start their replacements when due."""
        while not self._stopping.wait(_TICK_S):
            self._reap()
            for worker in self._workers:
                if worker.pid == 0 and worker.restart_at <= time.monotonic() and not self._stopping.is_set():
                    started_at = time.monotonic()
                    code = self._start(worker)
                    if code is not None:
                        self._schedule_restart(worker, started_at, code)

    def _reap(self) -> None:
        for worker in self._workers:
            if worker.pid == 0:
                continue
            pid, status = os.waitpid(worker.pid, os.WNOHANG)
            if pid != 0:
                self._died(worker)
                self._schedule_restart(worker, worker.started_at, _exit_code(status))

    def _schedule_restart(self, worker: _Worker, started_at: float, code: int) -> None:
        """At once after a worker that ran a while; after a pause doubling up to 30 s while they die early."""
        early = time.monotonic() - started_at < _EARLY_DEATH_S
        worker.early_deaths = worker.early_deaths + 1 if early else 0
        pause = min(_MAX_PAUSE_S, 0.5 * 2**worker.early_deaths) if worker.early_deaths else 0.0
        worker.restart_at = time.monotonic() + pause
        log.error(
            "worker exited; starting another in its place", worker=worker.index, exit_code=code, restart_in_s=pause
        )

    def _died(self, worker: _Worker) -> None:
        worker.pid = 0
        if worker.sock is not None:
            worker.sock.close()  # new connections go to the living workers meanwhile
            worker.sock = None

    def _stop(self) -> int:
        """Stop every worker (drain, then kill what outlives the grace); 0 when all stopped cleanly."""
        for worker in self._workers:
            if worker.sock is not None:
                worker.sock.close()
                worker.sock = None
        living = {w.pid: w for w in self._workers if w.pid}
        log.info("stopping workers", workers=len(living), grace_s=self._settings.server.shutdown_grace_s)
        for pid in living:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self._settings.server.shutdown_grace_s + _CLOSE_MARGIN_S
        clean = True
        while living:
            for pid in list(living):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    code = _exit_code(status)
                    clean = clean and code in (0, -signal.SIGTERM)
                    living.pop(pid).pid = 0
            if living and time.monotonic() > deadline:
                for pid in living:
                    log.error("worker did not stop in time; killed", pid=pid)
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                return 1
            time.sleep(0.05)
        return 0 if clean else 1
