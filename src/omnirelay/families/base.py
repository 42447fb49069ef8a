"""What a task family is given to build itself, and what it gives back.

A family (Midjourney, Suno, ...) is one folder under ``families/``: its wire shapes, its
service and its routes, registered by one :class:`~omnirelay.families.spec.FamilySpec` line in
``families/registry.py``. The runtime knows families only through this seam:

* :class:`TaskFamilyPlugin` gives the routes (fixed when the ASGI app is created, before the
  runtime exists) and :meth:`~TaskFamilyPlugin.build`, called once the runtime opens.
* :class:`FamilyContext` is everything the runtime lends a family; :class:`BuiltFamily` is what
  comes back: the renderers the engine registers and the service object its routes reach through
  ``runtime.tasks.service(name, kind)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute

from omnirelay.catalog import Catalog
from omnirelay.channels.crypto import SecretBox
from omnirelay.db.writebehind import WriteBehind
from omnirelay.files.published import PublishedImages
from omnirelay.outbound.addresses import Network
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.relay.gate import Gate
from omnirelay.settings import Settings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.family import TaskFamily

__all__ = ["BuiltFamily", "FamilyContext", "TaskFamilyPlugin"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class FamilyContext:
    """What the runtime lends every family; a family takes what it needs and ignores the rest."""

    settings: Settings
    engine: TaskEngine
    gate: Gate
    catalog: Catalog
    writer: WriteBehind
    box: SecretBox
    """Derive the family's own keys (link signing, callback tokens) with ``box.derive_key(purpose)``."""
    outbound: OutboundClient
    """Fetches the links upstreams answer with, behind the SSRF guard (``outbound.*``)."""
    providers: Mapping[str, object]
    allowed_networks: tuple[Network, ...]
    """Private ranges a client's webhook or image link may still point at (``webhooks.allow_networks``)."""
    published_images: PublishedImages
    """Keeps images a synchronous family's upstream drew and signs gateway links to them."""
    database: AsyncEngine | None = None
    """The store, for a family that keeps configuration of its own (the task relay's vendors)."""

    def per_call_price(self, name: str) -> int | None:
        """The per-call amount of the price ``name`` in the live price list (None: no such price); a
        finished task is costed at today's prices."""
        price = self.catalog.snapshot.prices.get(name)
        return price.per_call if price is not None else None

    def public_url_check(self, channel_type: str, links: str, *, upstreams: bool = False) -> Callable[[], None]:
        """A start-up check: ``links`` (say "Suno media links") need an address clients (and, with
        ``upstreams``, upstreams calling back) reach; warned once when ``server.public_url`` is unset
        and a ``channel_type`` channel exists."""
        who = "clients and upstreams" if upstreams else "clients"

        def check() -> None:
            channels = self.catalog.snapshot.channels.values()
            if not self.settings.server.public_url and any(c.type == channel_type for c in channels):
                log.warning(
                    f"server.public_url is not set: {links} use the address each request arrived on; "
                    f"set it to the URL {who} reach this gateway at"
                )

        return check


@dataclass(frozen=True, slots=True)
class BuiltFamily:
    """A family wired to one runtime."""

    renderers: Sequence[TaskFamily]
    """Registered on the engine: the wire shape its fetch endpoints return and its webhooks carry."""
    service: object
    """What its routes call; reached with ``runtime.tasks.service(name, kind)``, which checks the kind."""
    started: Callable[[], None] | None = None
    """Called once the catalog is loaded and the engine runs (a place for configuration warnings)."""


@runtime_checkable
class TaskFamilyPlugin(Protocol):
    """A family's code, loaded from :attr:`~omnirelay.families.spec.FamilySpec.plugin`."""

    def routes(self) -> Sequence[BaseRoute]:
        """Its routes, mounted on the app as they are; handlers find the service at request time."""
        ...

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        """Its service and renderers for this runtime; no I/O (the runtime starts the engine after)."""
        ...
