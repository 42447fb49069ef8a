"""``GET /metrics``: what Prometheus scrapes, in its text format, with bounded labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(gateway: Gateway, **headers: str) -> httpx.Response:
    return httpx.get(f"{gateway.url}/metrics", headers=headers, timeout=10)


def test_requests_are_counted_by_route_template_and_status(
    make_gateway: Callable[..., Gateway], make_upstream: Callable[..., Upstream]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(), channels=[channel("a", upstream)], prices=[per_token()])
    body: dict[str, Any] = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
    auth = {"Authorization": f"Bearer {USER_KEY}"}
    for _ in range(3):
        assert httpx.post(f"{gateway.url}/v1/chat/completions", json=body, headers=auth).status_code == 200
    assert httpx.get(f"{gateway.url}/v1/models/some-model-x", headers=auth).status_code == 404
    assert httpx.get(f"{gateway.url}/no/such/path/123").status_code == 404

    response = _scrape(gateway)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    chat = (("method", "POST"), ("route", "/v1/chat/completions"), ("status", "200"))
    assert samples[("omnirelay_http_requests_total", chat)] == 3
    assert samples[("omnirelay_http_request_duration_seconds_count", (("route", "/v1/chat/completions"),))] == 3
    # the template, never the path a client sent
    assert (
        "omnirelay_http_requests_total",
        (("method", "GET"), ("route", "/v1/models/{model:path}"), ("status", "404")),
    ) in samples
    assert ("omnirelay_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404"))) in samples
    assert "some-model-x" not in response.text and "/no/such/path" not in response.text
    assert samples[("omnirelay_channel_breaker_state", (("channel", "a"),))] == 0
    assert samples[("omnirelay_channel_enabled", (("channel", "a"),))] == 1
    assert ("omnirelay_writebehind_backlog_rows", ()) in samples
    assert samples[("omnirelay_webhook_backlog", ())] == 0
    assert USER_KEY not in response.text

    calls = (("channel", "a"), ("endpoint", "chat.completions"), ("model", "gpt-test"), ("outcome", "ok"))
    assert samples[("omnirelay_calls_total", calls)] == 3
    assert samples[("omnirelay_tokens_total", (("kind", "input"), ("model", "gpt-test")))] > 0
    assert samples[("omnirelay_tokens_total", (("kind", "output"), ("model", "gpt-test")))] > 0
    spent = sum(row["cost"] for row in gateway.logs())
    assert spent > 0
    assert samples[("omnirelay_spend_microunits_total", (("model", "gpt-test"),))] == spent
    assert samples[("omnirelay_reservations_open", ())] == 0


def test_a_metrics_token_is_required_when_set_and_metrics_can_be_turned_off(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(metrics={"token": "scrape-secret"})
    assert _scrape(gateway).status_code == 401
    assert _scrape(gateway, Authorization="Bearer wrong").status_code == 401
    assert _scrape(gateway, Authorization="Bearer scrape-secret").status_code == 200

    off = make_gateway(metrics={"enabled": False})
    assert _scrape(off).status_code == 404
