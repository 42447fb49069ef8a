"""``GET /v1/predictions``: the caller's own predictions, newest first, 100 a page, by cursor,
optionally only those created after ``created_after`` and before ``created_before`` (ISO 8601).

The cursor names the last prediction of the page (its submit time and id), so predictions
created meanwhile never shift a page. It is only a position: whatever a client puts in it,
the query is still scoped to the caller's account. Listing is never billed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from omnirelay.errors import InvalidRequest
from omnirelay.families.replicate.wire import ReplicateFamily
from omnirelay.relay.auth import Caller
from omnirelay.tasks.store import TaskStore

__all__ = ["PAGE_SIZE", "Listing", "decode_cursor", "encode_cursor"]

PAGE_SIZE = 100


def encode_cursor(submit_time: int, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{submit_time}.{task_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, task_id = text.partition(".")
        return int(at), task_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("The cursor is not one this API handed out.", param="cursor") from exc


class Listing:
    def __init__(self, *, store: TaskStore, family: ReplicateFamily, page_size: int = PAGE_SIZE) -> None:
        self._store = store
        self._family = family
        self._page_size = page_size

    async def page(self, caller: Caller, query: Mapping[str, str], list_url: str) -> dict[str, Any]:
        """One page; ``query`` is the request's (``cursor``, ``created_after``, ``created_before``),
        ``list_url`` this endpoint's absolute URL (``next`` continues from it with the same filters)."""
        window = (_moment(query, "created_after"), _moment(query, "created_before"))
        records = await self._store.page(
            caller.key.account_id,
            self._family.name,
            before=decode_cursor(query.get("cursor")),
            limit=self._page_size + 1,
            submitted=window,
        )
        shown = records[: self._page_size]
        last = shown[-1] if shown else None
        following = None
        if len(records) > self._page_size and last is not None:
            kept = {k: query[k] for k in ("created_after", "created_before") if query.get(k)}
            following = f"{list_url}?{urlencode({**kept, 'cursor': encode_cursor(last.submit_time, last.id)})}"
        return {"previous": None, "next": following, "results": [self._family.render(r) for r in shown]}


def _moment(query: Mapping[str, str], name: str) -> int | None:
    """An ISO 8601 date-time query parameter as epoch milliseconds (UTC when it names no zone)."""
    text = query.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z.", param=name) from exc
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)
