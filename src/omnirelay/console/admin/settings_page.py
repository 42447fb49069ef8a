"""The running settings, read only, with every secret masked (keys, passwords, credentials in URLs)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.admin.access import operator
from omnirelay.console.guard import guarded
from omnirelay.console.render import render
from omnirelay.settings import Settings

__all__ = ["MASK", "settings_page", "shown_settings"]

MASK = "••••••"
_SECRET_NAME = re.compile(r"secret|key|password|token|credential", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/]*)(:[^@/]*)?@", re.IGNORECASE)
_BOOTSTRAP = ("accounts", "keys", "channels", "prices", "task_vendors")
"""Lists declared in the settings file: shown as a count (keys and channel secrets live in them)."""


def _masked(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "" if value is None else str(value)
    if _SECRET_NAME.search(name) and not isinstance(value, bool | int | float):
        return MASK
    text = str(value)
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def _flatten(prefix: str, values: dict[str, Any], into: list[tuple[str, str]]) -> None:
    for name, value in values.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict) and value and not _SECRET_NAME.search(name):
            _flatten(f"{path}.", value, into)
        else:
            into.append((path, _masked(name, value)))


def shown_settings(settings: Settings) -> list[tuple[str, str]]:
    """``(dotted.name, shown value)`` for every setting; secrets as ``MASK``."""
    dumped = settings.model_dump(mode="json")
    rows: list[tuple[str, str]] = []
    bootstrap = {name: dumped.pop(name, []) for name in _BOOTSTRAP}
    dumped["database_url"] = settings.effective_database_url
    _flatten("", dumped, rows)
    rows.extend((name, f"{len(items)}") for name, items in bootstrap.items())
    return rows


@guarded
async def settings_page(request: Request) -> Response:
    seen = await operator(request)
    rows = shown_settings(platform_runtime(request).settings)
    return render(request, "admin/settings.html", seen.locale, principal=seen.principal, rows=rows)
