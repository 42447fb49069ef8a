"""The upstream HTTP client, measured alone: a bare Starlette relay with aiohttp or with httpx.

One endpoint, ``POST /v1/chat/completions``, forwards the body to the upstream and returns
its answer; nothing else (no auth, billing or logs), so the difference between the two runs
is the client. Used once to choose omnirelay's client (see bench/README.md):

    python bench/http_clients.py --client aiohttp --port 3902 --upstream http://127.0.0.1:18901/v1
    wrk -t1 -c64 -d10s -s bench/wrk/chat.lua http://127.0.0.1:3902
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Forward = Callable[[bytes], Awaitable[bytes]]
_HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-fake-upstream"}


def build(client: str, upstream: str) -> Starlette:
    url = f"{upstream}/chat/completions"
    forward: Forward | None = None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal forward
        if client == "aiohttp":
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

                async def via_aiohttp(body: bytes) -> bytes:
                    async with session.post(url, data=body, headers=_HEADERS) as response:
                        return await response.read()

                forward = via_aiohttp
                yield
        else:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
            async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:

                async def via_httpx(body: bytes) -> bytes:
                    response = await http.post(url, content=body, headers=_HEADERS)
                    return response.content

                forward = via_httpx
                yield

    async def chat(request: Request) -> Response:
        assert forward is not None
        return Response(await forward(await request.body()), media_type="application/json")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description="a bare relay, to compare upstream HTTP clients")
    parser.add_argument("--client", choices=("aiohttp", "httpx"), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3902)
    parser.add_argument("--upstream", default="http://127.0.0.1:18901/v1")
    args = parser.parse_args()
    uvicorn.run(build(args.client, args.upstream), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
