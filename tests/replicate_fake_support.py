"""A webhook receiver served for real, for tests of the fake Replicate's webhooks and of their ingestion."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing import serve_in_thread


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def prediction(self) -> dict[str, object]:
        parsed = orjson.loads(self.body)
        assert isinstance(parsed, dict)
        return parsed


@dataclass
class Inbox:
    """Every POST to ``{url}/hook``; answers the statuses in ``answers`` first, then 200."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def wait_for(self, predicate: object, timeout_s: float = 10.0) -> list[Received]:
        """Poll until ``predicate(received)`` holds; the deliveries so far."""
        assert callable(predicate)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate(list(self.received)):
                return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"webhooks never matched; got {[r.prediction.get('status') for r in self.received]}")


@contextmanager
def inbox() -> Iterator[Inbox]:
    box = Inbox()

    async def hook(request: Request) -> Response:
        box.received.append(Received(dict(request.headers), await request.body()))
        return Response(status_code=box.answers.pop(0) if box.answers else 200)

    with serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        box.url = url + "/hook"
        yield box
