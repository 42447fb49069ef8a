"""The top-up page: the balance, a redemption code form, the codes this account redeemed."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.guard import Viewer, error_text, guarded, viewer
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.platform.overview import account_overview
from omnirelay.platform.redeem import own_redemptions, redeem

__all__ = ["redeem_submit", "topup_page"]


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    runtime = platform_runtime(request)
    account_id = seen.principal.account_id
    overview = await account_overview(runtime.engine, runtime.ledger.balances, account_id)
    context.setdefault("error", None)
    context.setdefault("credited", None)
    return render(
        request,
        "topup.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        balance=overview["balance"],
        redemptions=await own_redemptions(runtime.engine, account_id),
        **context,
    )


@guarded
async def topup_page(request: Request) -> Response:
    return await _page(request, await viewer(request))


@guarded
async def redeem_submit(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    try:
        done = await redeem(
            runtime.engine, runtime.ledger.balances, seen.principal.account_id, seen.form.get("code", "")
        )
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return await _page(request, seen, credited=done["credited"])
