"""Accounts: the list with balances, create one, top up (or debit) with a reason, the keys of any account."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.admin import accounts as service
from omnirelay.admin import keys as key_service
from omnirelay.admin.topups import credit
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.admin.access import ADMIN_PATH, operator
from omnirelay.console.admin.forms import signed_micro_units
from omnirelay.console.fields import micro_units
from omnirelay.console.guard import Viewer, error_text, guarded
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT32_MAX, whole_number

__all__ = ["account_keys", "accounts_page", "create", "disable_key", "enable_key", "set_group", "top_up"]

_PATH = f"{ADMIN_PATH}/accounts"


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    runtime = platform_runtime(request)
    await runtime.writer.flush()
    context.setdefault("error", None)
    context.setdefault("notice", None)
    context.setdefault("values", {})
    return render(
        request,
        "admin/accounts.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        accounts=await service.list_accounts(runtime.engine),
        topup_token=secrets.token_urlsafe(16),
        **context,
    )


def _account_id(request: Request) -> int:
    return whole_number(str(request.path_params["account_id"]), "account_id", low=1, high=INT32_MAX)


@guarded
async def accounts_page(request: Request) -> Response:
    return await _page(request, await operator(request))


@guarded
async def create(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    form = seen.form
    try:
        if not form.get("name", "").strip():
            raise InvalidRequest("An account needs a name.", param="name")
        balance = micro_units(form.get("balance", ""), "balance", runtime.settings.console.micro_units_per_unit)
        await service.create_account(
            runtime.engine,
            form.get("name", "").strip(),
            group=form.get("group", "").strip() or "default",
            balance=balance or 0,
        )
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc), values=form)
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)


@guarded
async def top_up(request: Request) -> Response:
    """The form's one-time token is the idempotency key: a form sent twice credits once."""
    seen = await operator(request)
    runtime = platform_runtime(request)
    form = seen.form
    try:
        account_id = _account_id(request)
        amount = signed_micro_units(form.get("amount", ""), "amount", runtime.settings.console.micro_units_per_unit)
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidRequest("A top-up needs a reason (it is kept in the ledger).", param="reason")
        await runtime.writer.flush()
        done = await credit(
            runtime.engine,
            runtime.ledger.balances,
            account_id,
            amount,
            reference=reason[:200],
            idempotency_key=form.get("topup_token") or None,
        )
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    if not done.replayed:
        await runtime.changed()
    notice = seen.locale.t("admin.accounts.topped_up", name=done.account["name"], amount=seen.locale.money(amount))
    return await _page(request, seen, notice=notice)


@guarded
async def set_group(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        await service.set_group(runtime.engine, _account_id(request), seen.form.get("group", ""))
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)


async def _keys_page(request: Request, seen: Viewer, status_code: int = 200, error: str | None = None) -> Response:
    engine = platform_runtime(request).engine
    account = await service.get_account(engine, _account_id(request))
    keys = await key_service.list_keys(engine, account["id"])
    return render(
        request,
        "admin/account_keys.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        account=account,
        keys=keys,
        error=error,
    )


@guarded
async def account_keys(request: Request) -> Response:
    seen = await operator(request)
    try:
        return await _keys_page(request, seen)
    except (InvalidRequest, NotFound) as exc:
        return render(
            request,
            "error.html",
            seen.locale,
            principal=seen.principal,
            status_code=exc.status_code,
            message=error_text(seen.locale, exc),
        )


async def _set_key_enabled(request: Request, enabled: bool) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        account_id = _account_id(request)
        key_id = whole_number(str(request.path_params["key_id"]), "key_id", low=1, high=INT32_MAX)
        key = await key_service.get_key(runtime.engine, key_id)
        if key["account_id"] != account_id:
            raise NotFound(f"No API key with id {key_id}.")
        await key_service.update_key(runtime.engine, key_id, enabled=enabled)
    except (InvalidRequest, NotFound) as exc:
        return render(
            request,
            "error.html",
            seen.locale,
            principal=seen.principal,
            status_code=exc.status_code,
            message=error_text(seen.locale, exc),
        )
    await runtime.changed()
    return RedirectResponse(f"{_PATH}/{account_id}/keys", status_code=303)


@guarded
async def enable_key(request: Request) -> Response:
    return await _set_key_enabled(request, True)


@guarded
async def disable_key(request: Request) -> Response:
    return await _set_key_enabled(request, False)
