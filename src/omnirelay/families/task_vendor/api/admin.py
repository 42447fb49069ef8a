"""Admin API for task vendors: ``/api/admin/task-vendors`` (list, create) and ``/{name}`` (read, replace, delete).

A body is a vendor configuration exactly as in the settings file's ``task_vendors`` list, checked
by the same models: a mistake answers 400 naming every wrong field. Vendors declared in the settings
file are listed (``"source": "settings"``) but changed only there; an admin vendor may take neither
their name nor their path. A change is served at once by this process and within
``cache_refresh_s`` by the others, without a restart.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.admin.common import admin_runtime, json_response
from omnirelay.api.body import read_json
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.task_vendor.book import VendorBook
from omnirelay.families.task_vendor.config import VendorConfig, check_unique
from omnirelay.families.task_vendor.services import VendorServices
from omnirelay.runtime import Runtime
from omnirelay.settings_errors import from_validation_error

__all__ = ["VendorConflict", "admin_routes", "checked_config"]

_P = "/api/admin/task-vendors"
_BODY_LIMIT = 1024 * 1024


class VendorConflict(InvalidRequest):
    status_code = 409
    code = "conflict"


def checked_config(body: object) -> VendorConfig:
    """``body`` as a vendor configuration; InvalidRequest naming each wrong field and what to do."""
    try:
        return VendorConfig.model_validate(body)
    except ValidationError as exc:
        problems = from_validation_error(exc, VendorConfig, None, {}, "OMNIRELAY_").problems
        message = "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in problems)
        first = problems[0].path if problems else None
        raise InvalidRequest(f"Invalid task vendor: {message}.", param=first or None) from exc


def _book(runtime: Runtime) -> VendorBook:
    return runtime.tasks.service("task_vendor", VendorServices).book


def _shown(vendor: VendorConfig, book: VendorBook) -> dict[str, Any]:
    return {
        "name": vendor.name,
        "source": "settings" if vendor.name in book.declared else "admin",
        "method": vendor.method,
        "client_path": vendor.client_path,
        "config": vendor.model_dump(mode="json", exclude_none=True),
    }


async def _checked_against_others(book: VendorBook, config: VendorConfig) -> None:
    if config.name in book.declared:
        raise VendorConflict(f"The vendor {config.name} is declared in the settings file; change it there.")
    others = [v for v in (await book.current()).by_name.values() if v.name != config.name]
    try:
        check_unique([*others, config])
    except ValueError as exc:
        raise VendorConflict(f"{exc}; choose another path.", param="path") from exc


async def list_all(request: Request) -> Response:
    book = _book(admin_runtime(request))
    vendors = (await book.current()).by_name.values()
    return json_response({"data": [_shown(v, book) for v in vendors]})


async def create(request: Request) -> Response:
    runtime = admin_runtime(request)
    book = _book(runtime)
    body, _ = await read_json(request, _BODY_LIMIT)
    config = checked_config(body)
    await _checked_against_others(book, config)
    if not await book.store.put(config, create=True):
        raise VendorConflict(f"A vendor named {config.name} exists; PUT {_P}/{config.name} replaces it.")
    await runtime.changed()
    return json_response(_shown(config, book), 201)


async def retrieve(request: Request) -> Response:
    book = _book(admin_runtime(request))
    name = request.path_params["name"]
    vendor = (await book.current()).by_name.get(name)
    if vendor is None:
        raise NotFound(f"No task vendor {name} exists.")
    return json_response(_shown(vendor, book))


async def replace(request: Request) -> Response:
    runtime = admin_runtime(request)
    book = _book(runtime)
    name = request.path_params["name"]
    body, _ = await read_json(request, _BODY_LIMIT)
    if isinstance(body, dict):
        body = {"name": name, **body}
    config = checked_config(body)
    if config.name != name:
        raise InvalidRequest(f"name {config.name!r} differs from the path's {name!r}; vendors are not renamed.")
    await _checked_against_others(book, config)
    if not await book.store.put(config, create=False):
        raise NotFound(f"No task vendor {name} made through the admin API exists; POST {_P} creates one.")
    await runtime.changed()
    return json_response(_shown(config, book))


async def delete(request: Request) -> Response:
    runtime = admin_runtime(request)
    book = _book(runtime)
    name = request.path_params["name"]
    if name in book.declared:
        raise VendorConflict(f"The vendor {name} is declared in the settings file; remove it there.")
    if not await book.store.delete(name):
        raise NotFound(f"No task vendor {name} made through the admin API exists.")
    await runtime.changed()
    return json_response({"name": name, "deleted": True})


def admin_routes() -> list[BaseRoute]:
    return [
        Route(_P, list_all, methods=["GET"]),
        Route(_P, create, methods=["POST"]),
        Route(_P + "/{name}", retrieve, methods=["GET"]),
        Route(_P + "/{name}", replace, methods=["PUT"]),
        Route(_P + "/{name}", delete, methods=["DELETE"]),
    ]
