"""The keys page: the account's keys, a form with every scope, a new key shown once; disable, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.fields import day_ms, listed, micro_units, whole
from omnirelay.console.guard import Viewer, error_text, guarded, viewer
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT32_MAX, whole_number
from omnirelay.platform import keys as service

__all__ = ["create", "delete", "disable", "enable", "keys_page"]

_KEYS_PATH = "/console/keys"


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    keys = await service.list_own_keys(platform_runtime(request).engine, seen.principal.account_id)
    context.setdefault("new_key", None)
    context.setdefault("error", None)
    context.setdefault("values", {})
    return render(
        request, "keys.html", seen.locale, principal=seen.principal, status_code=status_code, keys=keys, **context
    )


@guarded
async def keys_page(request: Request) -> Response:
    return await _page(request, await viewer(request))


def _scopes(form: dict[str, str], per_unit: int) -> dict[str, Any]:
    expires = form.get("expires_at", "").strip()
    return {
        "name": form.get("name", "").strip() or "default",
        "models": listed(form.get("models", "")),
        "ip_allowlist": listed(form.get("ip_allowlist", "")),
        "expires_at": day_ms(expires, "expires_at") if expires else None,
        "spend_cap": micro_units(form.get("spend_cap", ""), "spend_cap", per_unit),
        "rpm": whole(form.get("rpm", ""), "rpm"),
        "tpm": whole(form.get("tpm", ""), "tpm"),
        "max_concurrency": whole(form.get("max_concurrency", ""), "max_concurrency"),
    }


@guarded
async def create(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    try:
        scopes = _scopes(seen.form, runtime.settings.console.micro_units_per_unit)
        secret, record = await service.create_own_key(runtime.engine, seen.principal.account_id, **scopes)
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc), values=seen.form)
    await runtime.changed()
    return await _page(request, seen, 201, new_key={"key": secret, "name": record["name"]})


async def _act(request: Request, action: str) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    account_id = seen.principal.account_id
    try:
        key_id = whole_number(str(request.path_params["key_id"]), "key_id", low=1, high=INT32_MAX)
        if action == "delete":
            await service.delete_own_key(runtime.engine, account_id, key_id)
        else:
            await service.set_own_key_enabled(runtime.engine, account_id, key_id, action == "enable")
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    await runtime.changed()
    return RedirectResponse(_KEYS_PATH, status_code=303)


@guarded
async def disable(request: Request) -> Response:
    return await _act(request, "disable")


@guarded
async def enable(request: Request) -> Response:
    return await _act(request, "enable")


@guarded
async def delete(request: Request) -> Response:
    return await _act(request, "delete")
