"""OpenTelemetry traces (issue #15): a real ``omnirelay serve`` exporting to a fake OTLP collector."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace

from omnirelay.observability.otel import Tracing, add_trace_ids
from omnirelay.observability.tracing import TRACING_PACKAGES
from omnirelay.settings import TracingSettings, load_settings
from omnirelay.settings_errors import SettingsError
from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread
from omnirelay.testing.fake_otlp import CollectedSpan, FakeCollector
from serve_process import clean_env, serving

KEY = "sk-tracing-0123456789abcdef0123456789abcdef0123456789ab"
ADMIN = "sk-tracing-admin-0123456789abcdef0123456789abcdef012345"
UPSTREAM_SECRET = "sk-upstream-traced-0123456789abcdef"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def collector() -> Iterator[tuple[FakeCollector, str]]:
    fake = FakeCollector()
    with serve_in_thread(fake.app) as url:
        yield fake, url


def _config(tmp_path: Path, first: str, second: str, tracing: str) -> Path:
    config = tmp_path / "omnirelay.toml"
    channels = "".join(
        f"""
[[channels]]
name = "{name}"
base_url = "{url}/v1"
secrets = ["{UPSTREAM_SECRET}"]
models = ["gpt-test"]
priority = {priority}
"""
        for name, url, priority in (("a", first, 10), ("b", second, 0))
    )
    config.write_text(
        f"""admin_key = "{ADMIN}"
local_provider = false

[tracing]
{tracing}

[[accounts]]
name = "acme"
balance = 1_000_000_000

[[keys]]
account = "acme"
name = "main"
key = "{KEY}"
{channels}
[[prices]]
model = "gpt-test"
input_per_million = 1_000_000
output_per_million = 2_000_000
"""
    )
    return config


def _chat(url: str, *, stream: bool = False, traceparent: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}"}
    if traceparent:
        headers["traceparent"] = traceparent
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def _of_trace(spans: list[CollectedSpan], trace_id: str) -> list[CollectedSpan]:
    return [span for span in spans if span.trace_id == trace_id]


def _check_failover_trace(spans: list[CollectedSpan], first: FakeOpenAI, second: FakeOpenAI) -> CollectedSpan:
    """One server span continuing the client's trace, and one client span per attempt under it."""
    (server,) = [span for span in spans if span.kind == "server"]
    assert server.name == "POST /v1/chat/completions" and server.parent_id == CLIENT_SPAN
    attributes = server.attributes
    assert attributes["http.route"] == "/v1/chat/completions" and attributes["http.response.status_code"] == 200
    assert attributes["omnirelay.key_name"] == "main" and attributes["omnirelay.account_id"] >= 1
    assert attributes["gen_ai.request.model"] == "gpt-test" and attributes["omnirelay.request_id"]
    assert server.resource["service.name"] == "omnirelay-under-test"
    failed, answered = sorted(
        (span for span in spans if span.kind == "client"), key=lambda s: s.attributes["omnirelay.attempt"]
    )
    for span, channel in ((failed, "a"), (answered, "b")):
        assert span.parent_id == server.span_id and span.name == "chat gpt-test"
        assert span.attributes["omnirelay.channel.name"] == channel
        assert span.attributes["omnirelay.channel.type"] == "openai"
        assert span.attributes["gen_ai.provider.name"] == "openai" and span.attributes["gen_ai.system"] == "openai"
        assert span.attributes["gen_ai.operation.name"] == "chat"
        assert span.attributes["gen_ai.request.model"] == "gpt-test"
    assert failed.attributes["omnirelay.attempt.outcome"] == "failed" and failed.status == "error"
    assert answered.attributes["omnirelay.attempt.outcome"] == "answered" and answered.status == "unset"
    assert answered.attributes["gen_ai.response.model"] == "gpt-test"
    assert answered.attributes["gen_ai.usage.input_tokens"] > 0 < answered.attributes["gen_ai.usage.output_tokens"]
    # each upstream request carried its own attempt's span as the W3C traceparent
    sent_a, sent_b = first.requests[0].headers["traceparent"], second.requests[0].headers["traceparent"]
    assert sent_a == f"00-{TRACE_ID}-{failed.span_id}-01" and sent_b == f"00-{TRACE_ID}-{answered.span_id}-01"
    return server


def _check_stream_trace(spans: list[CollectedSpan]) -> None:
    (server,) = [span for span in spans if span.kind == "server"]
    assert not server.parent_id  # no traceparent sent: a new trace
    answered = next(span for span in spans if span.attributes.get("omnirelay.attempt.outcome") == "answered")
    assert answered.attributes["omnirelay.stream"] is True
    (event,) = [attributes for name, attributes in answered.events if name == "gen_ai.first_chunk"]
    assert event["omnirelay.time_to_first_chunk_ms"] >= 0
    assert answered.attributes["gen_ai.usage.output_tokens"] > 0
    assert answered.end_ns >= server.start_ns


def _log_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_chat_call_with_failover_is_one_server_span_and_one_client_span_per_attempt(
    tmp_path: Path, collector: tuple[FakeCollector, str]
) -> None:
    fake, endpoint = collector
    first, second = FakeOpenAI(FakeOpenAIKnobs(status=500)), FakeOpenAI(FakeOpenAIKnobs(reply="from B"))
    with serve_in_thread(first.app) as first_url, serve_in_thread(second.app) as second_url:
        tracing = f'enabled = true\notlp_endpoint = "{endpoint}"\nservice_name = "omnirelay-under-test"'
        config = _config(tmp_path, first_url, second_url, tracing)
        log = tmp_path / "serve.log"
        env = {**clean_env(tmp_path / "home"), "OTEL_BSP_SCHEDULE_DELAY": "100"}
        with serving(config, log, "--log-format", "json", env=env) as url:
            answer = _chat(url, traceparent=f"00-{TRACE_ID}-{CLIENT_SPAN}-01")
            streamed = _chat(url, stream=True)
            request_ids = {answer.headers["x-request-id"], streamed.headers["x-request-id"]}
            spans = fake.wait_for(lambda spans: len([s for s in spans if s.kind == "client"]) >= 4)
    server = _check_failover_trace(_of_trace(spans, TRACE_ID), first, second)
    stream_trace = next(s.trace_id for s in spans if s.kind == "client" and s.trace_id != TRACE_ID)
    _check_stream_trace(_of_trace(spans, stream_trace))
    assert all(KEY not in str(span) and UPSTREAM_SECRET not in str(span) for span in spans)
    lines = [line for line in _log_lines(log) if line.get("request_id") in request_ids]
    assert len(lines) == 2 and all(line["event"] == "request" for line in lines), lines
    by_id = {line["request_id"]: line for line in lines}
    assert by_id[answer.headers["x-request-id"]]["trace_id"] == TRACE_ID
    assert by_id[answer.headers["x-request-id"]]["span_id"] == server.span_id
    assert by_id[streamed.headers["x-request-id"]]["trace_id"] == stream_trace


_PROBE = """
import json, sys
{hide}
import httpx
from omnirelay.app import create_app
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread

settings = Settings(home=sys.argv[1], local_provider=False, admin_key="{admin}", log={{"access": False}})
with serve_in_thread(create_app(settings)) as url:
    assert httpx.get(url + "/readyz").status_code == 200
    assert httpx.get(url + "/v1/models", headers={{"traceparent": "00-{trace}-{span}-01"}}).status_code == 401
print(json.dumps(sorted(name for name in sys.modules if name.startswith(("opentelemetry", "omnirelay.observability")))))
"""


def _probe(tmp_path: Path, env: dict[str, str], hide: bool) -> list[str]:
    """The modules a gateway with tracing off has imported after serving two requests."""
    hidden = "sys.modules['opentelemetry'] = None  # as if the tracing extra were not installed" if hide else ""
    script = textwrap.dedent(_PROBE).format(hide=hidden, admin=ADMIN, trace=TRACE_ID, span=CLIENT_SPAN)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "home")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_tracing_off_imports_nothing_of_tracing_and_sends_nothing(
    tmp_path: Path, collector: tuple[FakeCollector, str]
) -> None:
    fake, endpoint = collector
    env = {**clean_env(tmp_path / "home"), "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50"}
    modules = _probe(tmp_path, env, hide=False)
    # redis-py imports the OpenTelemetry *metrics* SDK by itself when it is installed; nothing of traces
    tracing = [m for m in modules if m.startswith(("opentelemetry.sdk.trace", "opentelemetry.exporter"))]
    ours = [m for m in modules if m.startswith("omnirelay.observability.otel")]
    assert tracing == [] and ours == [] and "opentelemetry.propagate" not in modules
    hidden = _probe(tmp_path, env, hide=True)  # serves the same without the packages at all
    assert [m for m in hidden if m.startswith("omnirelay.")] == [m for m in modules if m.startswith("omnirelay.")]
    assert fake.exports == 0


def test_tracing_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNIRELAY_CONFIG", raising=False)
    monkeypatch.setenv("OMNIRELAY_HOME", "/nonexistent-omnirelay-home")
    with pytest.raises(SettingsError) as raised:
        load_settings(tracing={"enabled": True, "sample_ratio": 1.5, "otlp_endpoint": "collector:4318"})
    lines = "\n".join(raised.value.lines())
    assert "tracing.sample_ratio: Input should be less than or equal to 1 (got 1.5)" in lines, lines
    assert "tracing.otlp_endpoint: 'collector:4318' must be an http(s) URL" in lines, lines
    for module in ("opentelemetry", *TRACING_PACKAGES):  # as if the tracing extra were not installed
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(SettingsError) as raised:
        load_settings(tracing={"enabled": True})
    (line,) = raised.value.lines()
    assert "OpenTelemetry is not installed (missing: opentelemetry-sdk, opentelemetry-exporter-otlp-proto-http)" in line
    assert "pip install 'omnirelay[tracing]'" in line
    assert load_settings(tracing={"enabled": False}).tracing.enabled is False


def test_log_lines_written_inside_a_span_carry_its_ids(collector: tuple[FakeCollector, str]) -> None:
    fake, endpoint = collector
    tracing = Tracing(TracingSettings(enabled=True, otlp_endpoint=endpoint))
    assert add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with trace.use_span(tracing.tracer.start_span("work"), end_on_exit=True) as span:
        line = add_trace_ids(None, "info", {"event": "inside"})
        ids = span.get_span_context()
    assert line == {"event": "inside", "trace_id": f"{ids.trace_id:032x}", "span_id": f"{ids.span_id:016x}"}
    tracing.shutdown()
    (exported,) = fake.wait_for(lambda spans: len(spans) == 1)
    assert (exported.trace_id, exported.span_id, exported.kind) == (line["trace_id"], line["span_id"], "internal")
