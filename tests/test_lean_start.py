"""A gateway process starts lean (issue #15): the local models' runtimes (onnxruntime, numpy, the
tokenizers), the Kling JWT library and, on a store already migrated, Alembic load only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from serve_process import clean_env

_OPEN_AND_LIST = """
import asyncio, sys
from omnirelay.runtime import Runtime
from omnirelay.settings import Settings

async def main():
    runtime = await Runtime.open(Settings(admin_key="sk-admin-lean-0000000000000000000000000000000000"))
    await runtime.close()

asyncio.run(main())
heavy = ("numpy", "onnxruntime", "tokenizers", "llama_cpp", "av", "jwt", "alembic", "mako")
print(" ".join(name for name in heavy if name in sys.modules))
"""


def _loaded_after_start(home: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_AND_LIST], env=clean_env(home), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_a_started_gateway_has_loaded_no_model_runtime_and_alembic_only_to_migrate(tmp_path: Path) -> None:
    first = _loaded_after_start(tmp_path / "home")
    assert first == {"alembic", "mako"}  # a new store is migrated
    assert _loaded_after_start(tmp_path / "home") == set()
