"""The platform API (``/api/v1/``): sign-up, sign-in, keys and the usage log of a customer's own account,
and what keeps one customer out of another's: ownership, CSRF, fresh session ids, sign-in limits."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pyotp
import pytest

from conftest import Gateway, Upstream, channel, per_token
from platform_support import PASSWORD, account_id, customer, signed_in
from test_cli_operator import gateway_cli


def _gateway(make_gateway: Callable[..., Gateway], upstream: Upstream, **console: object) -> Gateway:
    return make_gateway(
        console={"signup": "open", **console},
        channels=[channel("main", upstream)],
        prices=[per_token()],
    )


def _fund(gateway: Gateway, client: httpx.Client, amount: int = 10**9) -> None:
    gateway.admin_json("POST", f"/api/admin/accounts/{account_id(client)}/topups", json={"amount": amount})


def test_a_customer_signs_up_makes_a_key_calls_and_sees_the_call_and_the_cost(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    alice = customer(gateway, "alice")
    _fund(gateway, alice)
    before = alice.get("/api/v1/me").json()
    assert before["balance"] == 10**9 and before["month_spend"] == 0 and before["user"]["username"] == "alice"
    scopes = {
        "name": "laptop",
        "models": ["gpt-test"],
        "rpm": 60,
        "tpm": 100000,
        "max_concurrency": 4,
        "spend_cap": 10**8,
        "ip_allowlist": ["127.0.0.1/32"],
        "expires_at": int(time.time() * 1000) + 10**8,
    }
    created = alice.post("/api/v1/keys", json=scopes)
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key"].startswith("sk-") and all(key[k] == v for k, v in scopes.items())
    sdk = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key["key"], max_retries=0)
    sdk.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello"}])
    gateway.flush()
    logs = alice.get("/api/v1/logs", params={"model": "gpt-test"}).json()
    assert [row["key_id"] for row in logs["data"]] == [key["id"]] and "channel_id" not in logs["data"][0]
    after = alice.get("/api/v1/me").json()
    assert after["balance"] == before["balance"] - logs["data"][0]["cost"] and after["month_spend"] > 0
    exported = list(csv.DictReader(io.StringIO(alice.get("/api/v1/logs/export").text)))
    assert [int(r["id"]) for r in exported] == [logs["data"][0]["id"]]
    assert [k["id"] for k in alice.get("/api/v1/keys").json()["data"]] == [key["id"]]


def test_another_accounts_keys_and_logs_are_neither_visible_nor_actionable(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    alice, bob = customer(gateway, "alice"), customer(gateway, "bob")
    _fund(gateway, bob)
    bobs = bob.post("/api/v1/keys", json={"name": "bob's"}).json()
    openai.OpenAI(base_url=gateway.url + "/v1", api_key=bobs["key"], max_retries=0).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "hi"}]
    )
    gateway.flush()
    assert alice.get("/api/v1/keys").json()["data"] == []
    assert alice.get("/api/v1/logs").json()["data"] == []
    assert alice.get("/api/v1/logs", params={"key_id": bobs["id"]}).json()["data"] == []
    assert alice.get("/api/v1/logs/export").text.count("\n") == 1  # the header alone
    for method, path in (("POST", "disable"), ("POST", "enable"), ("DELETE", "")):
        answer = alice.request(method, f"/api/v1/keys/{bobs['id']}/{path}".rstrip("/"))
        assert answer.status_code == 404, answer.text
    page = alice.post(f"/console/keys/{bobs['id']}/delete", data={"csrf_token": alice.headers["X-CSRF-Token"]})
    assert page.status_code == 404
    assert bob.get("/api/v1/keys").json()["data"][0]["enabled"] is True
    assert len(bob.get("/api/v1/logs").json()["data"]) == 1


def test_a_change_made_with_the_cookie_needs_the_csrf_token(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    alice = customer(gateway, "alice")
    token = alice.headers.pop("X-CSRF-Token")
    for method, path in (("POST", "/api/v1/keys"), ("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/totp")):
        answer = alice.request(method, path, json={"name": "x"} if path.endswith("keys") else None)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed", answer.text
    assert alice.post("/api/v1/keys", json={"name": "x"}, headers={"X-CSRF-Token": token + "x"}).status_code == 403
    assert alice.post("/console/keys", data={"name": "x"}).status_code == 403
    assert alice.post("/console/keys", data={"name": "x", "csrf_token": "nope"}).status_code == 403
    assert alice.get("/api/v1/keys").json()["data"] == []  # nothing was made
    assert alice.post("/api/v1/keys", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 201


def test_each_sign_in_gets_a_new_session_id_and_signing_out_ends_it(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    customer(gateway, "alice").close()
    client = httpx.Client(base_url=gateway.url)
    client.cookies.set("omnirelay_session", "ors_chosen-by-an-attacker")
    answer = client.post("/api/v1/auth/login", json={"login": "ALICE", "password": PASSWORD})
    first = answer.cookies["omnirelay_session"]
    assert first != "ors_chosen-by-an-attacker" and "httponly" in answer.headers["set-cookie"].lower()
    assert "samesite=lax" in answer.headers["set-cookie"].lower()
    second = signed_in(gateway, "alice")
    assert second.cookies["omnirelay_session"] != first
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    assert client.post("/api/v1/auth/logout").status_code == 200
    form_post = f'{{"login": "alice", "password": "{PASSWORD}", "x": "="}}'  # what a text/plain form can send
    plain = httpx.post(gateway.url + "/api/v1/auth/login", content=form_post, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 400 and "set-cookie" not in plain.headers
    stale = httpx.Client(base_url=gateway.url, cookies={"omnirelay_session": first})
    assert stale.get("/api/v1/me").status_code == 401
    assert second.get("/api/v1/me").status_code == 200  # the other session lives on


def test_failed_sign_ins_are_limited_per_user_name_and_per_address(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream(), login_failures_per_user=3, login_failures_per_ip=5)
    customer(gateway, "alice").close()
    anonymous = httpx.Client(base_url=gateway.url)
    for _ in range(3):
        assert (
            anonymous.post("/api/v1/auth/login", json={"login": "alice", "password": "wrong-wrong"}).status_code == 401
        )
    refused = anonymous.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    for name in ("nobody-1", "nobody-2"):
        assert anonymous.post("/api/v1/auth/login", json={"login": name, "password": "x" * 10}).status_code == 401
    assert anonymous.post("/api/v1/auth/login", json={"login": "nobody-3", "password": "x" * 10}).status_code == 429


def test_sign_up_follows_the_operators_policy(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    closed = make_gateway()
    answer = httpx.post(closed.url + "/api/v1/auth/signup", json={"username": "eve", "password": PASSWORD})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "signup_closed"
    account = closed.admin_json("POST", "/api/admin/accounts", json={"name": "acme"})
    made = closed.admin_json("POST", "/api/admin/users", json={"account_id": account["id"], "username": "eve"})
    signed_in(closed, "eve", made["password"])


def test_an_invite_code_is_needed_and_used_once(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(console={"signup": "invite"})
    code = gateway.admin_json("POST", "/api/admin/invite-codes", json={"count": 1})["codes"][0]
    url = gateway.url + "/api/v1/auth/signup"
    assert httpx.post(url, json={"username": "ann", "password": PASSWORD}).status_code == 400
    assert httpx.post(url, json={"username": "ann", "password": PASSWORD, "invite_code": code}).status_code == 201
    again = httpx.post(url, json={"username": "ben", "password": PASSWORD, "invite_code": code})
    assert again.status_code == 400 and again.json()["error"]["code"] == "bad_invite"


def test_two_factor_sign_in_and_personal_access_tokens(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    alice = customer(gateway, "alice")
    seed = alice.post("/api/v1/me/totp").json()["secret"]
    assert alice.post("/api/v1/me/totp/confirm", json={"code": pyotp.TOTP(seed).now()}).status_code == 200
    step_one = httpx.Client(base_url=gateway.url)
    first = step_one.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
    assert first.json()["stage"] == "totp"
    assert step_one.get("/api/v1/me").status_code == 401  # the password alone opens nothing
    pending = step_one.cookies["omnirelay_session"]
    # the code used to confirm may not be replayed; the next step's code is accepted
    code = pyotp.TOTP(seed).at(time.time() + 30)
    done = step_one.post("/api/v1/auth/totp", json={"code": code}, headers={"X-CSRF-Token": first.json()["csrf_token"]})
    assert done.status_code == 200, done.text
    assert step_one.cookies["omnirelay_session"] != pending and step_one.get("/api/v1/me").status_code == 200
    no_code = httpx.post(
        gateway.url + "/api/v1/auth/login", json={"login": "alice", "password": PASSWORD, "token": True}
    )
    assert no_code.status_code == 401 and no_code.json()["error"]["code"] == "totp_required"
    again = pyotp.TOTP(seed).at(time.time() + 30)
    with_code = {"login": "alice", "password": PASSWORD, "token": True, "totp_code": again}
    assert httpx.post(gateway.url + "/api/v1/auth/login", json=with_code).status_code == 401  # replayed
    gateway_user = gateway.admin_json("GET", "/api/admin/users")["data"][0]
    gateway.admin_json("POST", f"/api/admin/users/{gateway_user['id']}/password", json={"password": PASSWORD})
    assert step_one.get("/api/v1/me").status_code == 401  # a password reset ends every session


def test_a_personal_access_token_needs_no_csrf_and_an_api_key_is_not_one(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    customer(gateway, "alice").close()
    answer = httpx.post(
        gateway.url + "/api/v1/auth/login", json={"login": "alice", "password": PASSWORD, "token": True}
    )
    token = answer.json()["token"]
    bearer = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"})
    assert bearer.post("/api/v1/keys", json={"name": "ci"}).status_code == 201
    assert bearer.post("/api/v1/auth/logout").status_code == 200
    assert bearer.get("/api/v1/keys").status_code == 401
    api_key = httpx.get(gateway.url + "/api/v1/me", headers={"Authorization": "Bearer sk-" + "a" * 48})
    assert api_key.status_code == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_deleted_key_stops_working_and_leaves_the_list(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = _gateway(make_gateway, make_upstream())
    alice = customer(gateway, "alice")
    _fund(gateway, alice)
    key = alice.post("/api/v1/keys", json={"name": "gone"}).json()
    assert alice.delete(f"/api/v1/keys/{key['id']}").status_code == 200
    assert alice.get("/api/v1/keys").json()["data"] == []
    time.sleep(0.5)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway.url + "/v1", api_key=key["key"], max_retries=0).models.list()
    assert alice.delete(f"/api/v1/keys/{key['id']}").status_code == 404


def test_the_operator_makes_users_and_resets_passwords_with_the_cli(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    gateway = _gateway(make_gateway, make_upstream(), signup="closed")
    cli = gateway_cli(gateway, tmp_path)
    cli("accounts", "create", "acme")
    made = cli.json("users", "create", "acme", "Eve", "--email", "Eve@Example.com")
    assert made["username"] == "eve" and made["email"] == "eve@example.com"
    eve = signed_in(gateway, "EVE@example.com", made["password"])
    assert "sessions were ended" in cli("users", "reset-password", "eve", "--password", "another long one")
    assert eve.get("/api/v1/me").status_code == 401  # the reset ended her session
    signed_in(gateway, "eve", "another long one")
    codes = json.loads(cli("users", "invite", "--count", "2"))["codes"]
    assert len(set(codes)) == 2
