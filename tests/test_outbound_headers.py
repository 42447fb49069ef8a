"""A fetch's own headers (an upstream's key for its video content) reach the link's origin only, never a redirect's."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from omnirelay.outbound import FetchPolicy, OutboundClient, parse_networks
from omnirelay.testing import serve_in_thread

VIDEOS = FetchPolicy(("video/",), 1024 * 1024)
KEY = {"Authorization": "Bearer sk-upstream"}


def _origin(seen: list[str | None], elsewhere: str = "") -> Starlette:
    async def content(request: Request) -> Response:
        seen.append(request.headers.get("authorization"))
        if request.headers.get("authorization") != KEY["Authorization"] and elsewhere != "open":
            return Response(status_code=401)
        return Response(b"\0\0\0\x18ftypmp42", media_type="video/mp4")

    async def moved(request: Request) -> Response:
        seen.append(request.headers.get("authorization"))
        return RedirectResponse(f"{elsewhere}/content", status_code=302)

    return Starlette(routes=[Route("/content", content), Route("/moved", moved)])


def _open(url: str, headers: dict[str, str] | None) -> bytes:
    async def run() -> bytes:
        client = OutboundClient(parse_networks(["127.0.0.1/32"]))
        try:
            return await (await client.open(url, VIDEOS, headers=headers)).read()
        finally:
            await client.close()

    return asyncio.run(asyncio.wait_for(run(), 20))


def test_headers_go_to_the_links_origin_and_stop_at_a_redirect_to_another() -> None:
    with ExitStack() as stack:
        other: list[str | None] = []
        other_url = stack.enter_context(serve_in_thread(_origin(other, "open")))
        own: list[str | None] = []
        own_url = stack.enter_context(serve_in_thread(_origin(own, other_url)))
        assert _open(f"{own_url}/content", KEY)[4:8] == b"ftyp" and own == [KEY["Authorization"]]
        assert _open(f"{own_url}/moved", KEY)[4:8] == b"ftyp"
        assert own[-1] == KEY["Authorization"] and other == [None]  # the key stayed home
        assert _open(f"{other_url}/content", None)[4:8] == b"ftyp" and other == [None, None]
