"""A top-up sent with an ``Idempotency-Key`` credits once, however often it is retried.

Before issue #9's fix every retry of a top-up whose answer was lost credited the account again.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from conftest import Gateway, assert_ledger_balanced, funded, store_totals
from test_cli_operator import store_cli

START = 1000


def _topup(gateway: Gateway, amount: int, key: str) -> httpx.Response:
    return gateway.admin.post("/api/admin/accounts/1/topups", json={"amount": amount}, headers={"Idempotency-Key": key})


def test_retries_of_a_topup_credit_once_and_answer_the_same(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(balance=START))
    first = _topup(gateway, 250, "invoice-17")
    assert first.status_code == 200 and first.json()["balance"] == START + 250
    assert "idempotent-replayed" not in first.headers
    with ThreadPoolExecutor(8) as pool:
        retries = list(pool.map(lambda _: _topup(gateway, 250, "invoice-17"), range(8)))
    assert {r.status_code for r in retries} == {200}
    assert all(r.json() == first.json() and r.headers["idempotent-replayed"] == "true" for r in retries)
    assert _topup(gateway, 250, "invoice-18").json()["balance"] == START + 500  # another key: another credit
    assert store_totals(gateway) == [(1, START + 500, START + 500)]


def test_concurrent_first_attempts_with_one_key_credit_once(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(balance=START))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _topup(gateway, 40, "payment-race"), range(8)))
    assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
    assert {r.json()["balance"] for r in answers} == {START + 40}
    assert store_totals(gateway) == [(1, START + 40, START + 40)]


def test_a_key_reused_for_another_topup_is_refused(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(balance=START))
    assert _topup(gateway, 250, "invoice-17").status_code == 200
    other = _topup(gateway, 300, "invoice-17")
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["error"]["message"]
    assert store_totals(gateway) == [(1, START + 250, START + 250)]
    assert_ledger_balanced(gateway)


def test_the_cli_topup_takes_an_idempotency_key(tmp_path: Path, database_url: str) -> None:
    cli = store_cli(tmp_path, database_url)
    cli("accounts", "create", "acme", "--balance", str(START))
    for _ in range(3):
        assert cli.json("accounts", "topup", "acme", "70", "--idempotency-key", "cli-1")["balance"] == START + 70
    assert cli.json("accounts", "show", "acme")["balance"] == START + 70
