"""Merge the per-family YAML files of this package into one OpenAPI 3.1 document.

Each family file carries ``paths`` and ``components`` plus two shorthands, expanded here so the
files stay readable and every operation of a family answers errors the same way:

- ``x-defaults``: the family's ``tag``, ``security``, ``error-schema`` (a schema name) and
  ``errors`` (the statuses every operation may answer besides its successes) and optionally
  ``error-media-type``. An operation overrides them with ``tags``/``security``, ``x-error-schema``
  and ``x-errors``.
- ``x-mode-prefixes`` with ``x-moded: true`` on a path item: the item is also served under each
  prefix (Midjourney's ``/mj-fast/mj/...``, Replicate's ``/replicate/v1/...``, Kling's
  ``/kling/v1/...``), with its operation ids suffixed by the prefix's last word.

A name defined twice (a schema, a method of a path) is a mistake in the files and fails the build
by name; two families may share a path with different methods.
"""

from __future__ import annotations

import copy
import functools
from http import HTTPStatus
from importlib import resources
from typing import Any

import yaml

__all__ = ["FAMILY_FILES", "build_document", "openapi_document"]

FAMILY_FILES = (
    "operations",
    "openai",
    "responses",
    "anthropic",
    "gemini",
    "midjourney",
    "suno",
    "replicate",
    "kling",
    "ark",
    "bfl",
    "minimax",
    "videos",
    "task_vendor",
    "ideogram",
    "recraft",
    "admin",
    "admin_users",
    "platform",
    "platform_customer",
    "admin_codes",
    "console",
    "console_customer",
    "console_admin",
)
"""The family files, in the order their paths appear in the document."""

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_EXTRA_PHRASES = {529: "Overloaded"}

Doc = dict[str, Any]


def _read(name: str) -> Doc:
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"openapi/{name}.yaml is not a mapping")
    return loaded


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_PHRASES.get(status, "Error")


def _ref(schema: str) -> Doc:
    return {"$ref": f"#/components/schemas/{schema}"}


def _error_response(status: int, schema: str, media_type: str) -> Doc:
    return {
        "description": f"{_phrase(status)}, in the family's error shape.",
        "content": {media_type: {"schema": _ref(schema)}},
    }


def _unrouted_404(schema: str, media_type: str) -> Doc:
    """404 of a templated path: the family's own, or the gateway's when the URL matches no route at
    all (a path parameter the route's pattern refuses, such as one with a line break): OpenAI's shape."""
    content: Doc = {media_type: {"schema": _ref(schema)}}
    if schema != "OpenAIError":
        generic = content.setdefault("application/json", {"schema": _ref("OpenAIError")})
        if generic["schema"] != _ref("OpenAIError"):
            generic["schema"] = {"anyOf": [generic["schema"], _ref("OpenAIError")]}
    return {
        "description": "Not Found, in the family's error shape (OpenAI's when no route matches the URL).",
        "content": content,
    }


def _apply_defaults(operation: Doc, defaults: Doc, templated: bool) -> None:
    """Fill the family's tag, security and error responses into ``operation`` (in place)."""
    operation.setdefault("tags", [defaults["tag"]])
    operation.setdefault("security", copy.deepcopy(defaults["security"]))
    schema = operation.pop("x-error-schema", defaults["error-schema"])
    media_type = defaults.get("error-media-type", "application/json")
    responses = operation.setdefault("responses", {})
    for status in operation.pop("x-errors", defaults["errors"]):
        made = _unrouted_404 if templated and int(status) == 404 else functools.partial(_error_response, int(status))
        responses.setdefault(str(status), made(schema, media_type))


def _moded_copies(path: str, item: Doc, prefixes: list[str]) -> dict[str, Doc]:
    copies: dict[str, Doc] = {}
    for prefix in prefixes:
        twin = copy.deepcopy(item)
        suffix = prefix.strip("/").split("-")[-1].capitalize()
        for method in _METHODS & twin.keys():
            twin[method]["operationId"] += suffix
        copies[prefix + path] = twin
    return copies


def _family_paths(family: Doc, where: str) -> dict[str, Doc]:
    defaults = family.get("x-defaults", {})
    prefixes = list(family.get("x-mode-prefixes", []))
    paths: dict[str, Doc] = {}
    for path, raw in family.get("paths", {}).items():
        item = copy.deepcopy(raw)
        moded = item.pop("x-moded", False)
        for method in _METHODS & item.keys():
            _apply_defaults(item[method], defaults, templated="{" in path)
        _merge_paths(paths, {path: item}, where)
        if moded:
            _merge_paths(paths, _moded_copies(path, item, prefixes), where)
    return paths


def _merge_unique(into: Doc, new: Doc, where: str) -> None:
    for key, value in new.items():
        if key in into:
            raise ValueError(f"{where}: {key!r} is defined twice")
        into[key] = value


def _merge_paths(into: Doc, new: Doc, where: str) -> None:
    """Two families may share a path (Kling's GET and OpenAI's POST of ``/v1/images/generations``),
    never a method of it; shared path-level fields must agree."""
    for path, item in new.items():
        known = into.setdefault(path, {})
        for key, value in item.items():
            if key in known and (key in _METHODS or known[key] != value):
                raise ValueError(f"{where}: {key} {path} is defined twice")
            known[key] = value


def build_document() -> Doc:
    """The whole document, built from the package's files (see :func:`openapi_document`)."""
    document = _read("common")
    document["paths"] = {}
    components = document.setdefault("components", {})
    for name in FAMILY_FILES:
        family = _read(name)
        _merge_paths(document["paths"], _family_paths(family, f"openapi/{name}.yaml"), f"openapi/{name}.yaml")
        for section, entries in family.get("components", {}).items():
            _merge_unique(components.setdefault(section, {}), entries, f"openapi/{name}.yaml components.{section}")
    return document


@functools.cache
def openapi_document() -> Doc:
    """Built once per process: the files never change while it runs. Callers must not mutate it."""
    return build_document()
