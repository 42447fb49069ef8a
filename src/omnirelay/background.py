"""Background tasks a component starts with the gateway and stops with it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from structlog.typing import FilteringBoundLogger

__all__ = ["cancel_and_wait", "every"]


async def every(
    interval_s: float,
    job: Callable[[], Awaitable[object]],
    *,
    log: FilteringBoundLogger,
    failure: str,
    quiet: tuple[type[Exception], ...] = (),
    **fields: Any,
) -> None:
    """Run ``job`` every ``interval_s`` seconds until cancelled.

    A failure is logged as ``failure`` (with ``fields``), except the ``quiet`` ones, and the next round tries again.
    """
    while True:
        await asyncio.sleep(interval_s)
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except quiet:
            pass
        except Exception:  # the store may be briefly away; the next round tries again
            log.exception(failure, **fields)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if there is one) and wait until it has finished unwinding."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
