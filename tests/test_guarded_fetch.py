"""The outbound guard: links from upstreams and clients are fetched only from public (or allow-listed)
addresses, in every spelling, each redirect hop checked, size, decompression and type capped.

Real loopback servers stand in for the "internal services" an attacker would aim at: the guard must
refuse them before a single request reaches them.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from omnirelay.errors import OmniRelayError, UpstreamError
from omnirelay.outbound import FetchPolicy, OutboundClient, OutboundRefused, checked_addresses, parse_networks
from omnirelay.testing import serve_in_thread

IMAGES = FetchPolicy(("image/",), 4 * 1024 * 1024)
LOOPBACK = ["127.0.0.1/32"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def _gzip_bomb() -> bytes:
    """About 1 MiB of gzip that inflates to 1 GiB of zeros (blocks reset the dictionary, so they repeat)."""
    zeros = b"\0" * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + block * 1023 + packer.flush()


@dataclass
class Origin:
    """A loopback web server with the answers a hostile or broken upstream could give."""

    hits: list[str] = field(default_factory=list)
    streamed: int = 0
    bomb: bytes = b""

    @property
    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            name = request.path_params["name"]
            self.hits.append(name)
            if name == "redirect":
                return Response(status_code=302, headers={"Location": request.query_params["to"]})
            if name == "hops" and int(request.query_params["n"]) > 0:
                return Response(status_code=307, headers={"Location": f"/hops?n={int(request.query_params['n']) - 1}"})
            if name == "endless":
                return StreamingResponse(self._endless(), media_type="image/png")
            if name == "declared-huge":
                return Response(PNG, media_type="image/png", headers={"Content-Length": str(10**10)})
            if name == "bomb":
                return Response(self.bomb, media_type="image/png", headers={"Content-Encoding": "gzip"})
            if name == "small-gzip":
                return Response(gzip.compress(PNG), media_type="image/png", headers={"Content-Encoding": "gzip"})
            if name == "brotli":
                return Response(b"\x0b\x00\x80", media_type="image/png", headers={"Content-Encoding": "br"})
            types = {"html": "text/html", "svg": "image/svg+xml", "untyped": ""}
            return Response(PNG, headers={"Content-Type": types.get(name, "image/png")})

        return Starlette(routes=[Route("/{name}", answer)])

    async def _endless(self) -> AsyncIterator[bytes]:
        chunk = b"\x89PNG" + b"\0" * (256 * 1024 - 4)
        while True:
            self.streamed += len(chunk)
            yield chunk
            await asyncio.sleep(0)


@pytest.fixture
def origin() -> Iterator[tuple[Origin, str]]:
    served = Origin()
    with serve_in_thread(served.app) as url:
        yield served, url


@pytest.fixture
def elsewhere() -> Iterator[tuple[Origin, str]]:
    """A second "internal service", on 127.0.0.2: loopback, but outside the tests' allow-list."""
    served = Origin()
    with ExitStack() as stack:
        yield served, stack.enter_context(serve_in_thread(served.app, host="127.0.0.2"))


def fetch(url: str, allowed: Sequence[str] = (), policy: FetchPolicy = IMAGES) -> tuple[str, bytes]:
    async def run() -> tuple[str, bytes]:
        client = OutboundClient(parse_networks(allowed), max_redirects=3, max_ratio=20)
        try:
            stream = await client.open(url, policy)
            return stream.content_type, await stream.read()
        finally:
            await client.close()

    return asyncio.run(asyncio.wait_for(run(), 20))


def refused(url: str, allowed: Sequence[str] = (), policy: FetchPolicy = IMAGES) -> OmniRelayError:
    with pytest.raises(UpstreamError) as caught:
        fetch(url, allowed, policy)
    return caught.value


def test_an_allow_listed_image_is_fetched_with_its_type(origin: tuple[Origin, str]) -> None:
    served, url = origin
    assert fetch(f"{url}/cat", LOOPBACK) == ("image/png", PNG)
    assert fetch(f"{url}/small-gzip", LOOPBACK) == ("image/png", PNG)  # inflated, within the ratio
    assert served.hits == ["cat", "small-gzip"]


def test_loopback_is_refused_in_every_spelling_before_any_request(origin: tuple[Origin, str]) -> None:
    served, url = origin
    port = url.rsplit(":", 1)[1]
    hosts = [
        "127.0.0.1",
        "localhost",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
    ]
    for host in hosts:
        error = refused(f"http://{host}:{port}/cat")
        assert error.code == "upstream_link_refused" and error.status_code == 502, (host, error.message)
    assert served.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/cat.png",
        "http://172.16.0.1/cat.png",
        "http://192.168.1.1/cat.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/cat.png",
        "http://[fe80::1]/cat.png",
        "http://[fd00::1]/cat.png",
        "http://224.0.0.1/cat.png",
        "file:///etc/passwd",
        "gopher://example.com/",
    ],
)
def test_private_link_local_and_odd_schemes_are_refused(url: str) -> None:
    error = refused(url)
    assert error.code == "upstream_link_refused" and "outbound.allow_networks" in error.message, error.message


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f000001/", "http://[::ffff:10.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/"]
)
def test_the_up_front_check_refuses_the_same_spellings(url: str) -> None:
    with pytest.raises(OutboundRefused):
        asyncio.run(checked_addresses(url))


def test_the_allow_list_covers_only_its_own_range(origin: tuple[Origin, str], elsewhere: tuple[Origin, str]) -> None:
    other, other_url = elsewhere
    assert refused(f"{other_url}/cat", LOOPBACK).code == "upstream_link_refused"
    assert other.hits == []


def test_each_redirect_hop_is_checked_again(origin: tuple[Origin, str], elsewhere: tuple[Origin, str]) -> None:
    served, url = origin
    other, other_url = elsewhere
    assert fetch(f"{url}/redirect?to=/cat", LOOPBACK) == ("image/png", PNG)  # a relative hop on an allowed host
    for target in (f"{other_url}/secret", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/"):
        assert refused(f"{url}/redirect?to={target}", LOOPBACK).code == "upstream_link_refused", target
    assert other.hits == []
    assert fetch(f"{url}/hops?n=3", LOOPBACK) == ("image/png", PNG)
    assert "more than 3 redirects" in refused(f"{url}/hops?n=4", LOOPBACK).message


def test_an_oversized_body_is_refused_or_cut_off_early(origin: tuple[Origin, str]) -> None:
    served, url = origin
    assert "limit" in refused(f"{url}/declared-huge", LOOPBACK).message
    cut = refused(f"{url}/endless", LOOPBACK)
    assert "limit" in cut.message
    assert served.streamed < 64 * 1024 * 1024  # the sender was stopped: it would never end on its own


def test_a_gzip_bomb_is_dropped_at_the_ratio_cap(origin: tuple[Origin, str]) -> None:
    served, url = origin
    served.bomb = _gzip_bomb()
    assert len(served.bomb) < 2 * 1024 * 1024
    big = FetchPolicy(("image/",), 2 * 1024 * 1024 * 1024)  # the size cap alone would let 1 GiB through
    error = refused(f"{url}/bomb", LOOPBACK, big)
    assert "decompression bomb" in error.message
    assert "br" in refused(f"{url}/brotli", LOOPBACK).message


@pytest.mark.parametrize("name", ["html", "svg", "untyped"])
def test_only_the_expected_media_types_are_accepted(origin: tuple[Origin, str], name: str) -> None:
    _, url = origin
    assert "not one of image/" in refused(f"{url}/{name}", LOOPBACK).message
    anything = FetchPolicy(("image/", "text/", "application/"), 1024 * 1024)
    assert refused(f"{url}/{name}", LOOPBACK, anything).code == "upstream_link_refused"  # never HTML or SVG
