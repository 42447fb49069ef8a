"""Helpers of the platform API and console tests: customers signed in through the API."""

from __future__ import annotations

from typing import Any

import httpx

from conftest import Gateway

PASSWORD = "correct horse battery"
OPEN = {"console": {"signup": "open"}}


def customer(gateway: Gateway, username: str, password: str = PASSWORD) -> httpx.Client:
    """A client signed up as ``username`` (open sign-up) with its session cookie and CSRF header."""
    client = httpx.Client(base_url=gateway.url, timeout=30)
    answer = client.post("/api/v1/auth/signup", json={"username": username, "password": password})
    assert answer.status_code == 201, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def signed_in(gateway: Gateway, login: str, password: str = PASSWORD, **extra: Any) -> httpx.Client:
    client = httpx.Client(base_url=gateway.url, timeout=30)
    answer = client.post("/api/v1/auth/login", json={"login": login, "password": password, **extra})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def account_id(client: httpx.Client) -> int:
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return int(me.json()["account"]["id"])
