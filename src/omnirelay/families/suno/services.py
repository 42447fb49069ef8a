"""The Suno family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.suno.account_calls import AccountCalls
from omnirelay.families.suno.act import ActCalls
from omnirelay.families.suno.media import SunoMedia
from omnirelay.families.suno.queries import SunoQueries
from omnirelay.families.suno.service import SunoService

__all__ = ["SunoServices"]


@dataclass(frozen=True, slots=True)
class SunoServices:
    submissions: SunoService
    queries: SunoQueries
    media: SunoMedia
    accounts: AccountCalls
    act: ActCalls
