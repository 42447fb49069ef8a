"""Run a Python snippet with no network interface (``unshare -n``): proof that nothing is fetched."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

_ENV = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}


def run_offline(
    script: str, *args: str, loopback: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -c script args`` in a new network namespace; the test is skipped only where
    this user may not create one (an unprivileged container); a missing tool fails it.

    ``loopback`` raises ``lo`` inside it (for a gateway that talks to itself); nothing else is reachable.
    """
    ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
    if shutil.which("unshare") is None or (loopback and ip is None):
        pytest.fail("unshare or ip is missing: ./scripts/check installs them (apt-get install util-linux iproute2)")
    probe = ["unshare", "-n", ip, "link", "set", "lo", "up"] if loopback and ip else ["unshare", "-n", "true"]
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        pytest.skip("this user may not create a network namespace")
    if loopback:
        command = ["unshare", "-n", "sh", "-c", f'{ip} link set lo up && exec "$0" -c "$@"', sys.executable, script]
    else:
        command = ["unshare", "-n", sys.executable, "-c", script]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout, env=_ENV, check=False)
