"""The task-vendor family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.task_vendor.book import VendorBook
from omnirelay.families.task_vendor.media import VendorFiles
from omnirelay.families.task_vendor.queries import VendorQueries
from omnirelay.families.task_vendor.service import VendorSubmissions

__all__ = ["VendorServices"]


@dataclass(frozen=True, slots=True)
class VendorServices:
    book: VendorBook
    submissions: VendorSubmissions
    queries: VendorQueries
    files: VendorFiles
