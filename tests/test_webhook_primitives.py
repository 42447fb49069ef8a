"""Webhook signatures verify with the standardwebhooks library; private destinations are refused."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from omnirelay.webhooks.destinations import DestinationRefused, check_destination, parse_networks
from omnirelay.webhooks.signing import new_secret, signed_headers


def test_signed_deliveries_verify_and_tampering_does_not() -> None:
    secret = new_secret()
    body = b'{"id":"1732000000000001","status":"SUCCESS"}'
    headers = signed_headers(secret, "msg_1732000000000001_3", body)
    assert Webhook(secret).verify(body, headers) == {"id": "1732000000000001", "status": "SUCCESS"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"SUCCESS", b"FAILURE"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_signature_carries_the_attempt_time_and_a_stable_id() -> None:
    secret = new_secret()
    at = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    first = signed_headers(secret, "msg_a", b"{}", at)
    assert first["webhook-timestamp"] == str(int(at.timestamp()))
    assert first["webhook-signature"].startswith("v1,")
    assert signed_headers(secret, "msg_a", b"{}", at) == first
    with pytest.raises(ValueError, match="must not contain"):
        signed_headers(secret, "msg.a", b"{}")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http:///nohost",
    ],
)
def test_private_or_malformed_destinations_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused) as refused:
        asyncio.run(check_destination(url))
    assert refused.value.status_code == 400 and refused.value.code == "callback_url_refused"


def test_public_and_allow_listed_destinations_pass() -> None:
    assert asyncio.run(check_destination("https://93.184.215.14/hook")) == [ipaddress.ip_address("93.184.215.14")]
    allowed = parse_networks(["127.0.0.1/32"])
    assert asyncio.run(check_destination("http://127.0.0.1:9000/hook", allowed)) == [ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(DestinationRefused):
        asyncio.run(check_destination("http://127.0.0.2:9000/hook", allowed))
