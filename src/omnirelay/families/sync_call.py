"""A synchronous vendor call billed like chat: open a job, run it with failover, publish its images, settle.

Image vendors that answer at once (Ideogram, Recraft, Ark images...) share one flow, whatever their
wire looks like:

1. the family checks the request at its edge (nothing is held for a bad one);
2. :meth:`SyncCalls.call` opens a job on the gate: the model must be served, the key allowed, and
   the first price of :attr:`SyncCall.price_names` that exists is held for :attr:`SyncCall.units`;
3. the vendor capability runs on the model's channels in routing order until one answers
   (``Gate.run``: breakers, auto-disable, and a refund when none does);
4. the images it drew are kept by the gateway and signed links made to them
   (:class:`~omnirelay.files.published.PublishedImages`): never the vendor's own URL;
5. the job settles at the images returned (never more than held), or at the units held for a
   per-call operation (``per_image=False``, e.g. describing an image). A failure while publishing
   refunds the job.

A family calls it like this::

    delivered = await calls.call(
        caller,
        SyncCall("ideogram.generate", "V_2", ("V_2:generate", "V_2"), units=n, body_size=size),
        request_id,
        IdeogramUpstream,
        lambda provider, channel: provider.ideogram(channel, request),
        base_url=base_url,  # None: keep the images inline (the client asked for base64)
    )
    delivered.result, delivered.links, delivered.charged
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.files.published import PublishedImages
from omnirelay.providers.base import GeneratedImage, Usage
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest, as_failure
from omnirelay.relay.job import Job

__all__ = ["Delivered", "DrawnImages", "SyncCall", "SyncCalls"]


class DrawnImages(Protocol):
    """What a vendor capability answers: the images it drew (bytes, already downloaded), in order."""

    @property
    def images(self) -> tuple[GeneratedImage, ...]: ...


P = TypeVar("P")
R = TypeVar("R", bound=DrawnImages)


@dataclass(frozen=True, slots=True)
class SyncCall:
    """What one call is billed as."""

    endpoint: str
    """For the request log, e.g. ``ideogram.generate``."""
    model: str
    """The catalog model the call is routed by."""
    price_names: tuple[str, ...]
    """Most specific first; the model's own name is tried last even when not listed."""
    units: int = 1
    """Per-call units held (the images asked for)."""
    per_image: bool = True
    """Bill the images returned (at most ``units``); False: bill ``units`` whatever came back."""
    body_size: int = 0


@dataclass(frozen=True, slots=True)
class Delivered(Generic[R]):
    result: R
    links: tuple[str, ...]
    """One signed gateway link per image of ``result.images`` (billed ones only), in order; empty when
    the images were not published."""
    charged: int
    """What the account paid, in micro-units."""


class SyncCalls:
    """The flow above, on one runtime's gate, catalog and kept images."""

    def __init__(self, *, gate: Gate, catalog: Catalog, published: PublishedImages) -> None:
        self._gate = gate
        self._catalog = catalog
        self._published = published

    def price_name(self, call: SyncCall) -> str:
        prices = self._catalog.snapshot.prices
        return next((name for name in call.price_names if name in prices), call.model)

    async def call(
        self,
        caller: Caller,
        call: SyncCall,
        request_id: str,
        capability: type[P],
        attempt: Callable[[P, Channel], Awaitable[R]],
        *,
        base_url: str | None,
    ) -> Delivered[R]:
        """Run ``attempt`` billed as ``call``; publish its images under ``base_url`` (None: do not).

        The job is settled or refunded before this returns or raises."""
        request = JobRequest(
            call.endpoint, call.model, call.body_size, 0, price_name=self.price_name(call), calls=call.units
        )
        job = await self._gate.open_job(caller, request, request_id)
        result = await self._gate.run(job, capability, attempt)
        images = result.images[: call.units] if call.per_image else result.images
        try:
            links = await self._publish(job, images, base_url) if base_url is not None else ()
        except BaseException as exc:
            await job.fail(as_failure(exc))
            raise
        units = len(images) if call.per_image else call.units
        charged = await job.succeed(Usage(0, 0), calls=units)
        return Delivered(result, links, charged)

    async def _publish(self, job: Job, images: tuple[GeneratedImage, ...], base_url: str) -> tuple[str, ...]:
        owner = str(job.caller.key.account_id)
        publish = self._published.publish
        kept = (publish(owner, i.data, i.content_type, base_url, f"image-{n + 1}") for n, i in enumerate(images))
        return tuple(await asyncio.gather(*kept))
