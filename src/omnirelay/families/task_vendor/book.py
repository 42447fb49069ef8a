"""Every vendor this gateway serves right now: those of the settings file, then those of the store.

The settings file's vendors are fixed for the process's life (change the file and restart); the
admin API's live in the ``task_vendors`` table and are reloaded whenever the configuration
revision moves (the catalog's signal: at once in the writing process, within ``cache_refresh_s``
elsewhere), so a vendor created through the API is usable without a restart. A stored vendor
never shadows a declared one: the admin API refuses its name and its path.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog

from omnirelay.catalog import Catalog
from omnirelay.families.task_vendor.config import VendorConfig
from omnirelay.families.task_vendor.store import VendorStore

__all__ = ["VendorBook", "Vendors"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Vendors:
    by_name: dict[str, VendorConfig] = field(default_factory=dict)
    by_route: dict[tuple[str, str], VendorConfig] = field(default_factory=dict)
    """``(method, path after /v1/vendors)`` -> its vendor."""

    @classmethod
    def of(cls, declared: list[VendorConfig], stored: list[VendorConfig]) -> Vendors:
        by_name: dict[str, VendorConfig] = {}
        by_route: dict[tuple[str, str], VendorConfig] = {}
        for vendor in [*declared, *stored]:
            route = (vendor.method, vendor.path)
            if vendor.name in by_name or route in by_route:
                log.warning("stored task vendor shadowed by a declared one; not served", vendor=vendor.name)
                continue
            by_name[vendor.name] = vendor
            by_route[route] = vendor
        return cls(by_name, by_route)


class VendorBook:
    def __init__(self, declared: list[VendorConfig], store: VendorStore, catalog: Catalog) -> None:
        self.declared = {vendor.name: vendor for vendor in declared}
        self._store = store
        self._catalog = catalog
        self._revision = -2
        self._vendors = Vendors.of(declared, [])
        self._lock = asyncio.Lock()

    @property
    def store(self) -> VendorStore:
        return self._store

    def cached(self) -> Vendors:
        """The vendors as last loaded (no I/O)."""
        return self._vendors

    async def current(self) -> Vendors:
        """The vendors, reloaded first when the configuration revision moved since the last load."""
        if self._catalog.snapshot.revision == self._revision:
            return self._vendors
        async with self._lock:
            revision = self._catalog.snapshot.revision
            if revision != self._revision:
                stored, broken = await self._store.all()
                for name in broken:
                    log.warning("stored task vendor no longer valid; not served", vendor=name)
                self._vendors = Vendors.of(list(self.declared.values()), stored)
                self._revision = revision
        return self._vendors
