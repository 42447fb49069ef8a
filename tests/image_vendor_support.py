"""Helpers for the synchronous image vendors' tests (Ideogram, Recraft): a gateway, images, balances."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from PIL import Image

from conftest import USER_KEY, Gateway

BALANCE = 10_000_000


def start(
    make_gateway: Callable[..., Gateway], channels: list[dict[str, Any]], prices: dict[str, int], **extra: Any
) -> Gateway:
    settings: dict[str, Any] = {
        "accounts": [{"name": "acme", "balance": BALANCE}],
        "keys": [{"account": "acme", "name": "main", "key": USER_KEY}],
        "channels": channels,
        "prices": [{"model": m, "mode": "per_call", "per_call": p} for m, p in prices.items()],
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fakes serve their files on loopback
        **extra,
    }
    return make_gateway(**settings)


def client(stack: ExitStack, gateway: Gateway, headers: dict[str, str]) -> httpx.Client:
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def balance(gateway: Gateway) -> int:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return int(next(a["balance"] for a in accounts if a["name"] == "acme"))


def image_bytes(kind: str = "PNG", side: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (20, 120, 200)).save(buffer, format=kind)
    return buffer.getvalue()


def opened(url: str) -> httpx.Response:
    """A result link, fetched without any key."""
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, (url, response.text)
    return response


def image_format(data: bytes) -> str | None:
    with Image.open(io.BytesIO(data)) as image:
        return image.format
