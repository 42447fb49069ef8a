"""A bounded GET of a link an upstream (or a client) gave: the only way the gateway fetches such URLs.

:class:`OutboundClient` owns an HTTP session of its own whose resolver only returns checked
addresses (:class:`~omnirelay.outbound.guard.GuardedResolver`), so channels' own session and
its private addresses stay out of reach. Each fetch:

* checks the URL's host (literal addresses here, names at connect time) before every hop;
* follows at most ``max_redirects`` redirects, each hop checked again like the first URL;
* never decompresses on its own: ``Accept-Encoding: identity`` is asked for, and a compressed
  answer is inflated by :mod:`.decoding` under a ratio and a size cap;
* refuses a ``Content-Length`` above the cap at once, and counts the bytes as they stream;
* accepts only the media types of its :class:`FetchPolicy` (never HTML, SVG or XML);
* passes a client's ``Range`` on (media seeking) and relays a ``206`` answer with its ``Content-Range``.
* sends a caller's own headers (an upstream's key) only to the first URL's origin, never across a redirect.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from yarl import URL

from omnirelay.errors import InvalidRequest, NotFound, UpstreamError, UpstreamTimeout
from omnirelay.outbound.addresses import Network, parse_networks
from omnirelay.outbound.decoding import BodyDecoder, decoder_for
from omnirelay.outbound.guard import GuardedResolver, OutboundRefused, check_literal_host
from omnirelay.settings import Settings

__all__ = ["FetchPolicy", "FetchedStream", "OutboundClient", "RangeNotSatisfiable", "outbound_client"]

_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NEVER = ("svg", "xml", "html", "javascript", "ecmascript")
"""Parts of a media type never accepted unless a policy opts in to SVG: they can run as a page on our origin."""
_SVG = "image/svg+xml"
_CONTENT_RANGE = re.compile(r"bytes \d+-\d+/(\d+|\*)")
_UNSATISFIED = re.compile(r"bytes \*/\d+")


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What one use accepts: media type prefixes (``image/``) and the largest body."""

    types: tuple[str, ...]
    max_bytes: int
    svg: bool = False
    """Also accept ``image/svg+xml`` (vector outputs): relayed only with the sandboxing headers of
    ``api/served_media.py``, so a script in it never runs on the gateway's origin."""

    def accepts(self, media_type: str) -> bool:
        if self.svg and media_type == _SVG:
            return True
        return media_type.startswith(self.types) and not any(word in media_type for word in _NEVER)


class RangeNotSatisfiable(InvalidRequest):
    """The byte range asked for lies outside the file (HTTP 416); ``content_range`` is ``bytes */size``."""

    status_code = 416
    code = "range_not_satisfiable"

    def __init__(self, content_range: str | None) -> None:
        super().__init__("The requested byte range is not satisfiable for this file.")
        self.content_range = content_range

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Range": self.content_range} if self.content_range else {}


class FetchedStream:
    """An answer whose head was checked; its body streams through the size and ratio caps."""

    def __init__(self, response: aiohttp.ClientResponse, media_type: str, decoder: BodyDecoder) -> None:
        self._response = response
        self._decoder = decoder
        self.content_type = media_type
        self.length = response.content_length if response.headers.get("Content-Encoding") is None else None
        self.status = response.status
        """200, or 206 when the upstream served the byte range asked for."""
        self.content_range = response.headers.get("Content-Range") if response.status == 206 else None
        self.ranges = response.headers.get("Accept-Ranges", "").strip().lower() == "bytes" or self.status == 206
        """The upstream serves byte ranges of this file (so may the gateway, by passing ``Range`` on)."""

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; past a cap it stops with a 502 and the connection is dropped."""
        try:
            async for chunk in self._response.content.iter_chunked(_CHUNK):
                yield self._decoder.feed(chunk)
            yield self._decoder.finish()
        except OutboundRefused as exc:
            self._response.close()
            raise UpstreamError(
                f"The upstream's file was dropped: {exc.message}.", code="upstream_link_refused"
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            self._response.close()
            raise UpstreamError(f"The upstream's file could not be read: {type(exc).__name__}.") from exc
        finally:
            self._response.release()  # back to the pool when read to the end, else closed

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def aclose(self) -> None:
        self._response.close()


class OutboundClient:
    """GETs links on behalf of others, and lends its guarded session to webhook deliveries."""

    def __init__(
        self,
        allowed: Sequence[Network],
        *,
        max_redirects: int = 3,
        max_ratio: int = 20,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 60.0,
    ) -> None:
        self.allowed = tuple(allowed)
        self._max_redirects = max_redirects
        self._max_ratio = max_ratio
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, sock_read=read_timeout_s)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=GuardedResolver(self.allowed), limit=0, ttl_dns_cache=60),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent",),
        )

    async def close(self) -> None:
        await self.session.close()

    def check(self, url: str) -> None:
        """Raise :class:`OutboundRefused` for a URL this client will not even try (bad scheme, literal address)."""
        check_literal_host(url, self.allowed)

    async def open(
        self,
        url: str,
        policy: FetchPolicy,
        *,
        byte_range: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchedStream:
        """GET ``url`` under ``policy``: 404 as :class:`NotFound`, refusals and failures as 502.

        ``byte_range`` (a ``Range`` header value, checked by the caller) is sent on every hop; the upstream
        may answer the range (206) or the whole file (200). Its 416 is :class:`RangeNotSatisfiable`.
        ``headers`` (e.g. an upstream's key) go only to ``url``'s own origin, never to another a redirect names."""
        try:
            response = await self._follow(url, byte_range, headers or {})
            return self._accepted(response, policy, ranged=byte_range is not None)
        except OutboundRefused as exc:
            raise UpstreamError(_refused_message(exc.message), code="upstream_link_refused") from exc
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, OutboundRefused):
                raise UpstreamError(_refused_message(exc.os_error.message), code="upstream_link_refused") from exc
            raise UpstreamError(f"The upstream's link could not be reached: {exc.os_error}.") from exc
        except TimeoutError as exc:
            raise UpstreamTimeout("The upstream's link did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(f"The upstream's link failed: {type(exc).__name__}: {exc}.") from exc

    async def _follow(self, url: str, byte_range: str | None, extra: Mapping[str, str]) -> aiohttp.ClientResponse:
        headers = {"Accept-Encoding": "identity"}
        if byte_range is not None:
            headers["Range"] = byte_range
        first: URL | None = None
        for _ in range(self._max_redirects + 1):
            self.check(url)
            here = URL(url)
            first = first or here
            own = bool(extra) and here.origin() == first.origin()  # the caller's headers: the first origin only
            response = await self._get(url, {**extra, **headers} if own else headers)
            if response.status not in _REDIRECTS:
                return response
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise OutboundRefused(f"{url!r} redirects without a Location")
            url = str(URL(url).join(URL(location)))
        raise OutboundRefused(f"more than {self._max_redirects} redirects")

    async def _get(self, url: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
        try:
            return await self.session.get(url, headers=headers, allow_redirects=False, timeout=self._timeout)
        except aiohttp.InvalidURL as exc:  # e.g. a host such as 2130706433 or 127.1
            raise OutboundRefused(f"{url!r} is not a URL the gateway fetches: {exc}") from exc

    def _accepted(self, response: aiohttp.ClientResponse, policy: FetchPolicy, *, ranged: bool) -> FetchedStream:
        try:
            _check_status(response, ranged=ranged)
            media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if not policy.accepts(media_type):
                raise OutboundRefused(f"the answer is {media_type or 'untyped'}, not one of {', '.join(policy.types)}")
            length = response.content_length
            if length is not None and length > policy.max_bytes:
                raise OutboundRefused(f"the answer is {length} bytes, over the {policy.max_bytes}-byte limit")
            encoding = response.headers.get("Content-Encoding")
            decoder = decoder_for(encoding, max_bytes=policy.max_bytes, max_ratio=self._max_ratio)
        except BaseException:
            response.close()
            raise
        return FetchedStream(response, media_type, decoder)


def _refused_message(reason: str) -> str:
    """Names the setting that would let it through: a local upstream (a fake, a proxy on the LAN) serving its
    files from a private address needs its range in ``outbound.allow_networks``."""
    return (
        f"The upstream's link was not fetched: {reason}. Private destinations are refused unless the operator "
        "allow-lists them in outbound.allow_networks."
    )


def _check_status(response: aiohttp.ClientResponse, *, ranged: bool) -> None:
    """200, or 206 to a ``Range`` asked for: anything else is refused before the body is read."""
    if response.status == 404:
        raise NotFound("The upstream no longer has this file.", code="media_gone")
    if ranged and response.status == 416:
        unsatisfied = response.headers.get("Content-Range", "")
        raise RangeNotSatisfiable(unsatisfied if _UNSATISFIED.fullmatch(unsatisfied) else None)
    if response.status != 200 and not (ranged and response.status == 206):
        raise UpstreamError(f"The upstream's link answered HTTP {response.status}.")
    partial = response.headers.get("Content-Range", "")
    if response.status == 206 and (response.headers.get("Content-Encoding") or not _CONTENT_RANGE.fullmatch(partial)):
        raise OutboundRefused("the partial answer is compressed or does not say which bytes it holds")


def outbound_client(settings: Settings, allow_networks: Sequence[str]) -> OutboundClient:
    """A client under ``settings.outbound``'s caps, reaching private ranges only in ``allow_networks``."""
    outbound = settings.outbound
    return OutboundClient(
        parse_networks(allow_networks),
        max_redirects=outbound.max_redirects,
        max_ratio=outbound.max_decompression_ratio,
        connect_timeout_s=settings.relay.connect_timeout_s,
        read_timeout_s=settings.relay.read_timeout_s,
    )
