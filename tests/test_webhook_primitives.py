"""Webhook signatures verify with the standardwebhooks library; private destinations are refused."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook, WebhookVerificationError

from omnirelay.channels.crypto import SecretBox
from omnirelay.db.engine import now_ms
from omnirelay.db.migrate import upgrade
from omnirelay.db.tables import webhook_deliveries
from omnirelay.settings import WebhookSettings
from omnirelay.webhooks.deliverer import Deliverer
from omnirelay.webhooks.destinations import DestinationRefused, check_destination, parse_networks
from omnirelay.webhooks.hooks import AccountHooks
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


def test_deliveries_a_killed_process_had_claimed_are_due_again_at_start_on_sqlite(tmp_path: Path) -> None:
    """Without this, a delivery claimed by a process killed mid-send (and every later message of the
    same task, kept in order behind it) would wait for the lease to run out (``timeout_s`` + 30 s)."""

    async def run() -> tuple[object, object]:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        try:
            await upgrade(engine)
            async with engine.begin() as conn:
                await conn.execute(
                    sa.insert(webhook_deliveries).values(
                        message_id="msg_1", task_id="t1", seq=1, account_id=1, event="task.updated",
                        url="https://hooks.example/h", body="{}", status="pending", attempts=1,
                        next_attempt_at=0, lease_owner="host-123-dead", lease_until=now_ms() + 45_000,
                        created_at=now_ms(),
                    )
                )  # fmt: skip
            async with aiohttp.ClientSession() as http:
                box = SecretBox(Fernet.generate_key().decode())
                deliverer = Deliverer(engine, http, AccountHooks(engine, box), WebhookSettings(), "host-456-new")
                await deliverer.release_leases()
            async with engine.connect() as conn:
                row = (await conn.execute(sa.select(webhook_deliveries))).one()
            return row.lease_owner, row.lease_until
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == (None, None)
