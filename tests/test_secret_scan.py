"""The check that no log line of a test run holds a secret (``secret_scan.py``) sees what it must."""

from __future__ import annotations

import json
import secrets
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from conftest import USER_KEY, Gateway, funded, sqlite_only
from mj_support import wait_for
from omnirelay.logging_setup import render_json
from secret_scan import _constants, find_secrets

SOME_TOKEN = "tok-0123456789"


def test_a_secret_is_found_with_its_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "gateway.jsonl"
    log.write_text('{"event": "fine"}\n{"event": "oops", "key": "sk-leaked-0123456789"}\n')
    (finding,) = find_secrets([log, tmp_path / "missing.log"], ["sk-leaked", "sk-leaked-0123456789", "absent-1234"])
    assert finding.startswith(f"{log}:2: 'sk-leaked-0123456789' in ")
    assert find_secrets([log], []) == []


def test_the_secrets_are_the_key_looking_constants_of_test_modules() -> None:
    module = types.ModuleType("fake_support")
    module.__file__ = str(Path(__file__).parent / "fake_support.py")
    values = {"UPSTREAM_KEY": "r8_upstream", "WEBHOOK_SECRET": "whsec-abcdef", "OTHER": "sk-user-other-0000"}
    ignored = {"TITLE": "not a secret", "SHORT_KEY": "sk-a", "lower_key": "sk-lowercase", "ADMIN_PATH": "/api/admin"}
    for name, value in {**values, **ignored, "MONKEY": "banana-bread"}.items():
        setattr(module, name, value)
    elsewhere = types.ModuleType("elsewhere")
    elsewhere.__file__ = "/usr/lib/python3/elsewhere.py"
    elsewhere.API_KEY = "sk-not-ours-0123456789"  # type: ignore[attr-defined]
    assert _constants([module, elsewhere]) == set(values.values())
    import test_secret_scan

    assert SOME_TOKEN in _constants([test_secret_scan])


@sqlite_only
def test_gateways_of_the_tests_write_their_access_lines_to_the_scanned_files(
    make_gateway: Callable[..., Gateway], gateway_log_files: Path
) -> None:
    gateway = make_gateway(**funded())
    probe = secrets.token_hex(8)
    query = {"probe": probe, "key": USER_KEY}
    answer = httpx.get(f"{gateway.url}/v1/models", params=query, headers={"Authorization": f"Bearer {USER_KEY}"})
    assert answer.status_code == 200

    def complete_lines() -> list[dict[str, Any]] | None:
        text = (gateway_log_files / "access.jsonl").read_text()
        done = [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]  # not a line being written
        return done if any(probe in line.get("query", "") for line in done) else None

    lines = wait_for(complete_lines)
    (line,) = [line for line in lines if probe in line.get("query", "")]
    assert line["path"] == "/v1/models" and line["status"] == 200 and line["query"] == f"probe={probe}&key=[redacted]"
    assert USER_KEY not in json.dumps(lines)


def test_a_json_line_holds_an_integer_beyond_64_bits() -> None:
    """Found by this check's own JSON tee: a lying upstream's usage of 10^30 tokens broke JSON logging."""
    line = render_json({"event": "upstream usage refused", "prompt": 10**30, "model": "gpt-é"})
    assert json.loads(line) == {"event": "upstream usage refused", "prompt": 10**30, "model": "gpt-é"}
