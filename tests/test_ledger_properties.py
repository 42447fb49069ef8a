"""The ledger's invariants hold whatever usage, prices, top-ups and crashes come its way (issue #9, Proof).

A hypothesis state machine drives the real billing objects against a real store: the
:class:`~omnirelay.billing.ledger.Ledger` (with in-memory balances, the write-behind and a
process lease), :class:`~omnirelay.relay.job.Job` settling and refunding calls the way the gate
opens them (estimate = ``Price.cost`` of the prompt bound and ``max_tokens`` at the group's
multiplier), the admin top-up path, and the recovery that releases what a killed process left
open. Usage comes from the wire through :meth:`Usage.checked` (negative, huge, boolean, float and
string counts included); prices and multipliers through the operator's validation. Processes
crash with or without flushing, stay dead or wake up late as zombies whose settlements the store
must refuse, and their leases run out at arbitrary moments.

After every step the live counters match the store plus what the writer has not committed; at
the end, after everything is flushed and every dead process's holds are released:

* every account's stored balance is the sum of its ledger entries, and every key's spend the sum
  of its spending entries;
* every entry and balance is within ``MAX_AMOUNT`` (so within 64 bits);
* no request has more than one reserve or more than one closing entry (settle, refund, release),
  no closing entry lacks its reserve, and no reservation is left open;
* a settlement charged from 0 to its bound (the hold plus ``overage_tolerance`` of it), a refund or
  release gave back exactly the hold, and each charge is the one the call's log row shows;
* every call served (a status-200 log row) was reserved once and settled once, unless its process
  lost its lease first: then it was released once and its late settlement was set aside as a
  dead letter, never applied.

The gate's catalog lookup (model, scope, price) is not driven here: the estimate is computed the
way :meth:`Gate.open_job` computes it, and the reservation is made through the same ledger.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import POSTGRES_URL
from omnirelay.accounts.keys import KeyRecord
from omnirelay.accounts.limits import KeyLimiter
from omnirelay.admin.accounts import create_account
from omnirelay.admin.keys import create_key
from omnirelay.admin.topups import credit
from omnirelay.billing.amounts import MAX_AMOUNT, settle_bound
from omnirelay.billing.balances import MemoryBalances
from omnirelay.billing.instances import Instance
from omnirelay.billing.ledger import Ledger
from omnirelay.billing.price_rules import MAX_PRICE, checked_multiplier, checked_price
from omnirelay.billing.recovery import OwnerSweeper, release_stale_reservations
from omnirelay.db.engine import create_engine, now_ms
from omnirelay.db.migrate import upgrade
from omnirelay.db.tables import accounts, api_keys, dead_letters, instances, ledger_entries, request_logs
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import InsufficientBalance, InvalidRequest, NotFound, UpstreamUnavailable
from omnirelay.providers.base import Usage
from omnirelay.relay.auth import Caller
from omnirelay.relay.job import Job, JobServices

T = TypeVar("T")
LEASE_S = 30.0
INT64 = 2**63
TOLERANCES = (0.0, 0.1, 0.25, 1.0)

_template: dict[str, Path] = {}


def _migrated_store() -> Path:
    """A migrated SQLite file, made once; each machine run starts from a copy of it."""
    if "path" not in _template:
        path = Path(tempfile.mkdtemp(prefix="omnirelay-ledger-props-")) / "template.db"

        async def migrate() -> None:
            engine = create_engine(f"sqlite+aiosqlite:///{path}")
            await upgrade(engine)
            await engine.dispose()

        asyncio.run(migrate())
        atexit.register(shutil.rmtree, path.parent, True)
        _template["path"] = path
    return _template["path"]


async def _fresh_postgres(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(sa.text("CREATE SCHEMA public"))
    await upgrade(engine)


# ---- what comes from outside: hostile where the outside may be hostile


hostile_count = st.one_of(
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 10**9),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.sampled_from(["12", "", "1e9"]),
)
"""A usage count an upstream may report."""

hostile_amount = st.one_of(
    st.integers(-(10**7), 10**7),
    st.integers(-(2**65), 2**65),
    st.sampled_from([0, MAX_AMOUNT, -MAX_AMOUNT, MAX_AMOUNT + 1, 2**63, -(2**63) - 1]),
    st.booleans(),
    st.floats(allow_nan=True),
    st.sampled_from(["100", None]),
)
"""A top-up amount an operator (or a script) may send."""

price_amount = st.one_of(st.integers(0, 5_000_000), st.integers(0, MAX_PRICE), st.sampled_from([None, 0]))

_token_price = st.fixed_dictionaries(
    {
        "mode": st.sampled_from([None, "per_token"]),
        "input_per_million": st.integers(0, 5_000_000),
        "output_per_million": st.integers(1, 5_000_000),
    }
)
_call_price = st.fixed_dictionaries({"mode": st.sampled_from([None, "per_call"]), "per_call": st.integers(1, 10**6)})
_any_price = st.fixed_dictionaries(
    {
        "mode": st.sampled_from([None, "per_token", "per_call", "free", "bogus"]),
        "input_per_million": price_amount,
        "output_per_million": price_amount,
        "per_call": price_amount,
    }
)
price_fields = st.one_of(_token_price, _token_price, _call_price, st.just({"mode": "free"}), _any_price)
"""Mostly prices an operator could set; some the validation must refuse (or that bill a fortune)."""

multiplier_text = st.one_of(
    st.sampled_from(["1", "0", "0.8", "3/2", "1/3", "1000", "999.999", "-1", "1001", "abc", "1/0", " 2 "]),
    st.builds(lambda n, d: f"{n}/{d}", st.integers(0, 2000), st.integers(1, 997)),
)


RESERVE_ARGS: dict[str, Any] = {
    "index": st.integers(0, 2),
    "fields": price_fields,
    "prompt_bound": st.one_of(st.integers(0, 4000), st.integers(0, 4000), st.integers(0, 10**7)),
    "output_tokens": st.one_of(st.integers(0, 4000), st.integers(0, 4000), st.integers(0, 10**9)),
    "images": st.integers(1, 10),
}


@dataclass
class Call:
    request_id: str
    job: Job
    held: int


@dataclass
class Process:
    """One gateway process: its lease, live counters, write-behind and ledger."""

    instance: Instance
    writer: WriteBehind
    ledger: Ledger
    services: JobServices
    open: dict[str, Call] = field(default_factory=dict)
    lease_lost: bool = False
    """Its lease ran out at some point: another process may have released its holds."""


@dataclass
class Outcome:
    """What the test saw a call end with, for the checks against the store."""

    held: int
    charged: int | None = None
    """Settled for this much; None: refunded."""
    process: Process | None = None
    durable: bool = False
    """Its process flushed after it ended: the store must show it."""


class LedgerMachine(RuleBasedStateMachine):
    calls = Bundle("calls")
    postgres_url: str | None = None
    """Run on this PostgreSQL database (its schema reset for every run) instead of a SQLite copy."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="omnirelay-ledger-run-"))
        if self.postgres_url is None:
            shutil.copy(_migrated_store(), self.dir / "omnirelay.db")
            self.engine: AsyncEngine = create_engine(f"sqlite+aiosqlite:///{self.dir / 'omnirelay.db'}")
        else:
            self.engine = create_engine(self.postgres_url)
            self.run(_fresh_postgres(self.engine))
        self.tolerance = Fraction(0)
        self.keys: list[KeyRecord] = []
        self.groups: list[str] = []
        self.process: Process | None = None
        self.zombies: list[Process] = []
        self.outcomes: dict[str, Outcome] = {}
        self.counter = 0
        self.live_exact = True
        """The live counters match the store: no other process wrote since they were seeded."""

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    # ---- setting up, starting and killing processes

    @initialize(
        opening=st.lists(
            st.one_of(st.integers(10**5, 10**8), st.integers(10**5, 10**8), st.integers(0, MAX_AMOUNT)),
            min_size=1,
            max_size=3,
        ),
        caps=st.lists(st.one_of(st.none(), st.none(), st.integers(10**4, 10**8), st.just(0)), min_size=3, max_size=3),
        tolerance=st.sampled_from(TOLERANCES),
        multipliers=st.lists(multiplier_text, min_size=3, max_size=3),
    )
    def setup(self, opening: list[int], caps: list[int | None], tolerance: float, multipliers: list[str]) -> None:
        self.tolerance = Fraction(str(tolerance))  # as runtime.py reads billing.overage_tolerance
        for index, (balance, cap) in enumerate(zip(opening, caps, strict=False)):
            account = self.run(create_account(self.engine, f"acct-{index}", balance=balance))
            self.run(create_key(self.engine, account["id"], spend_cap=cap))
            try:
                checked_multiplier(f"g{index}", multipliers[index])
                self.groups.append(multipliers[index])
            except InvalidRequest:
                self.groups.append("1")  # the operator's bad multiplier was refused; the default applies
        self.process = self.run(self._start())

    async def _start(self) -> Process:
        """What a starting gateway does: take a lease, release what stopped processes left, seed."""
        instance = Instance(self.engine, LEASE_S)
        writer = WriteBehind(self.engine, flush_interval_s=3600, batch_size=10**6, spill_path=self.dir / "spill.jsonl")
        ledger = Ledger(writer, MemoryBalances(), overage_tolerance=self.tolerance, instance=instance.id)
        await instance.register()
        async with ledger.balances.external() as external:
            await release_stale_reservations(self.engine, external, older_than_s=900, lease_s=LEASE_S, by=instance.id)
        process = Process(instance, writer, ledger, JobServices(ledger, KeyLimiter(), writer))
        await self._reseed(process)
        return process

    async def _reseed(self, process: Process) -> None:
        """``Catalog.reload``: keys and live counters from the store, under the writer's lock."""
        async with process.writer.lock, self.engine.connect() as conn:
            key_rows = (await conn.execute(sa.select(api_keys).order_by(api_keys.c.id))).mappings().all()
            balances = {r.id: r.balance for r in await conn.execute(sa.select(accounts.c.id, accounts.c.balance))}
            spent = {r.id: r.spent for r in await conn.execute(sa.select(api_keys.c.id, api_keys.c.spent))}
            await process.ledger.load(balances, spent)
        self.keys = [KeyRecord.from_row(r) for r in key_rows]
        self.live_exact = True

    @precondition(lambda self: len(self.zombies) < 2)
    @rule(flush_first=st.booleans())
    def crash(self, flush_first: bool) -> None:
        """The process is killed (what its writer had not committed is lost) and a new one starts.

        The dead process is kept as a zombie: it may still wake (frozen, not killed) and try to
        close its calls. Its lease has not run out yet: the new process must leave its holds alone."""
        assert self.process is not None
        if flush_first:
            self.run(self._flush(self.process))
        self.zombies.append(self.process)
        self.process = self.run(self._start())

    @precondition(lambda self: self.zombies)
    @rule()
    def leases_run_out(self) -> None:
        """Time passes: every zombie's lease is older than ``lease_s``."""
        ids = [z.instance.id for z in self.zombies]
        for zombie in self.zombies:
            zombie.lease_lost = True
        expired = now_ms() - int(LEASE_S * 1000) - 1000
        self.run(self._set_heartbeats(ids, expired))

    async def _set_heartbeats(self, ids: list[str], at: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(sa.update(instances).where(instances.c.id.in_(ids)).values(heartbeat_at=at))

    @rule()
    def sweep(self) -> None:
        """The live process's periodic release of the holds of processes whose lease ran out."""
        assert self.process is not None
        process = self.process
        sweeper = OwnerSweeper(self.engine, process.instance, process.ledger.balances, lambda: self._reseed(process))
        self.run(sweeper.sweep())

    @precondition(lambda self: self.zombies)
    @rule(data=st.data())
    def zombie_wakes(self, data: st.DataObject) -> None:
        """A frozen process wakes up, closes its calls as they ended, and flushes its writer."""
        zombie = data.draw(st.sampled_from(self.zombies))
        for call in list(zombie.open.values()):
            if data.draw(st.booleans()):
                self.run(self._settle(zombie, call, Usage(data.draw(st.integers(0, 3000)), 0)))
            else:
                self.run(self._refund(zombie, call))
        self.run(self._flush(zombie))
        self.live_exact = False  # another process moved the store: this one's counters catch up on a reseed

    # ---- money in

    @rule(index=st.integers(0, 2), amount=hostile_amount)
    def top_up(self, index: int, amount: Any) -> None:
        """The admin API's top-up: refused ones raise and change nothing, accepted ones move the counter."""
        assert self.process is not None
        account_id = index + 1
        self.run(self.process.writer.flush())  # as api/admin/accounts.py does before crediting
        before = self.run(self._stored_account(account_id))
        live = self.run(self.process.ledger.balances.balance(account_id))
        try:
            self.run(credit(self.engine, self.process.ledger.balances, account_id, amount))
        except InvalidRequest as exc:
            assert "amount" in str(exc) or "account" in str(exc)
            assert self.run(self._stored_account(account_id)) == before, "a refused top-up changed the store"
            assert self.run(self.process.ledger.balances.balance(account_id)) == live
            return
        except NotFound as exc:  # an account the machine did not create (index beyond them)
            assert before is None, f"top-up of {amount!r} failed unexpectedly: {exc!r}"
            return
        assert type(amount) is int and amount != 0 and before is not None
        assert abs(before[0] + amount) <= MAX_AMOUNT
        assert self.run(self.process.ledger.balances.balance(account_id)) == live + amount

    async def _stored_account(self, account_id: int) -> tuple[int, int] | None:
        async with self.engine.connect() as conn:
            balance = await conn.scalar(sa.select(accounts.c.balance).where(accounts.c.id == account_id))
            entries = await conn.scalar(
                sa.select(sa.func.count()).select_from(ledger_entries).where(ledger_entries.c.account_id == account_id)
            )
        return None if balance is None else (int(balance), int(entries or 0))

    # ---- calls

    @rule(target=calls, **RESERVE_ARGS)
    def reserve(self, index: int, fields: dict[str, Any], prompt_bound: int, output_tokens: int, images: int) -> str:
        return self._reserve(index, fields, prompt_bound, output_tokens, images)

    @rule(target=calls, **RESERVE_ARGS)
    def reserve_another(
        self, index: int, fields: dict[str, Any], prompt_bound: int, output_tokens: int, images: int
    ) -> str:
        """Calls come more often than crashes: a second rule for them."""
        return self._reserve(index, fields, prompt_bound, output_tokens, images)

    def _reserve(self, index: int, fields: dict[str, Any], prompt_bound: int, output_tokens: int, images: int) -> str:
        """``Gate.open_job``'s estimate and reservation for a call of this key at its group's price."""
        process = self.process
        assert process is not None
        self.counter += 1
        request_id = f"req-{self.counter}"
        if index >= len(self.keys):
            return request_id
        try:
            price = checked_price("gpt-test", **fields)
        except InvalidRequest:
            return request_id  # the operator's price was refused: nothing to bill by
        key = self.keys[index]
        multiplier = Fraction(self.groups[index].strip())
        estimate = price.estimate(prompt_bound, output_tokens, multiplier, calls=images)
        live = self.run(process.ledger.balances.balance(key.account_id))
        pending = process.writer.pending_account_delta(key.account_id)
        try:
            reservation = self.run(process.ledger.reserve(key, request_id, estimate))
        except InsufficientBalance:
            assert estimate > MAX_AMOUNT or estimate > live or key.spend_cap is not None
            assert self.run(process.ledger.balances.balance(key.account_id)) == live, "a refused hold moved money"
            assert process.writer.pending_account_delta(key.account_id) == pending
            return request_id
        assert 0 <= estimate <= MAX_AMOUNT and (estimate == 0 or estimate <= live)
        admission = process.services.limiter.admit(key)
        job = Job(
            services=process.services,
            request_id=request_id,
            endpoint="/v1/chat/completions",
            caller=Caller(key, "g"),
            model="gpt-test",
            price=price,
            multiplier=multiplier,
            reservation=reservation,
            admission=admission,
        )
        process.open[request_id] = Call(request_id, job, estimate)
        self.outcomes[request_id] = Outcome(estimate, process=process)
        return request_id

    def _live_call(self, request_id: str) -> Call | None:
        assert self.process is not None
        return self.process.open.get(request_id)

    @rule(request_id=consumes(calls), prompt=hostile_count, completion=hostile_count, images=st.integers(0, 10))
    def settle(self, request_id: str, prompt: Any, completion: Any, images: int) -> None:
        """The upstream answered with this usage: checked, then charged within the bound."""
        self._settle_call(request_id, prompt, completion, images)

    @rule(request_id=consumes(calls), prompt=hostile_count, completion=hostile_count, images=st.integers(0, 10))
    def settle_another(self, request_id: str, prompt: Any, completion: Any, images: int) -> None:
        self._settle_call(request_id, prompt, completion, images)

    def _settle_call(self, request_id: str, prompt: Any, completion: Any, images: int) -> None:
        call = self._live_call(request_id)
        if call is None:
            return
        usage = Usage.checked(prompt, completion) or Usage(min(call.held, 1000), 0)  # else: the gateway's count
        assert self.process is not None
        self.run(self._settle(self.process, call, usage, images))

    async def _settle(self, process: Process, call: Call, usage: Usage, images: int = 1) -> None:
        charged = await call.job.succeed(usage, calls=images)
        assert 0 <= charged <= settle_bound(call.held, self.tolerance), (charged, call.held, self.tolerance)
        assert await call.job.succeed(usage) == 0, "a second settlement charged again"
        await call.job.fail(UpstreamUnavailable("late failure"))  # a later outcome changes nothing
        process.open.pop(call.request_id)
        self.outcomes[call.request_id].charged = charged

    @rule(request_id=consumes(calls))
    def refund(self, request_id: str) -> None:
        """The upstream failed: the hold goes back whole."""
        call = self._live_call(request_id)
        if call is None:
            return
        assert self.process is not None
        self.run(self._refund(self.process, call))

    async def _refund(self, process: Process, call: Call) -> None:
        await call.job.fail(UpstreamUnavailable("upstream down"))
        assert await call.job.succeed(Usage(10, 10)) == 0, "a refunded call was charged afterwards"
        process.open.pop(call.request_id)

    @rule()
    def flush(self) -> None:
        assert self.process is not None
        self.run(self._flush(self.process))

    async def _flush(self, process: Process) -> None:
        await process.writer.flush()
        for request_id, outcome in self.outcomes.items():
            if outcome.process is process and request_id not in process.open:  # ended before this flush
                outcome.durable = True

    # ---- checks

    @invariant()
    def live_counters_follow_the_store(self) -> None:
        """Live balance == committed balance + what this process has not committed yet."""
        process = self.process
        if process is None or not self.live_exact:
            return
        stored = self.run(self._balances())
        for account_id, balance in stored.items():
            live = self.run(process.ledger.balances.balance(account_id))
            assert live == balance + process.writer.pending_account_delta(account_id), account_id
            assert -MAX_AMOUNT <= live <= MAX_AMOUNT

    async def _balances(self) -> dict[int, int]:
        async with self.engine.connect() as conn:
            return {r.id: int(r.balance) for r in await conn.execute(sa.select(accounts.c.id, accounts.c.balance))}

    def teardown(self) -> None:
        try:
            if self.process is not None:
                self.run(self._wind_down(self.process))
                self.run(self._check_store())
        finally:
            self.run(self.engine.dispose())
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    async def _wind_down(self, process: Process) -> None:
        """Every live call refunded and flushed; every zombie's lease runs out and the sweep releases its holds."""
        for call in list(process.open.values()):
            await self._refund(process, call)
        await self._flush(process)
        await self._set_heartbeats([z.instance.id for z in self.zombies], 0)
        await OwnerSweeper(
            self.engine, process.instance, process.ledger.balances, lambda: self._reseed(process)
        ).sweep()

    async def _check_store(self) -> None:
        async with self.engine.connect() as conn:
            entries = (await conn.execute(sa.select(ledger_entries).order_by(ledger_entries.c.id))).all()
            balances = {r.id: r.balance for r in await conn.execute(sa.select(accounts.c.id, accounts.c.balance))}
            spent = {r.id: r.spent for r in await conn.execute(sa.select(api_keys.c.id, api_keys.c.spent))}
            logs = (await conn.execute(sa.select(request_logs))).all()
            letters = [r.payload for r in await conn.execute(sa.select(dead_letters.c.payload))]
        _check_sums(entries, balances, spent)
        by_request = _by_request(entries)
        for request_id, kinds in by_request.items():
            self._check_request(request_id, kinds)
        for row in logs:
            kinds = by_request.get(row.request_id, {})
            if row.status != 200:
                assert "settle" not in kinds, f"failed call {row.request_id} was charged"
                continue
            assert len(kinds.get("reserve", [])) == 1, f"served call {row.request_id} was not reserved once"
            if "settle" in kinds:
                assert -sum(sum(amounts) for amounts in kinds.values()) == row.cost, row.request_id
            else:  # its process lost its lease first: released, and the late settle set aside
                outcome = self.outcomes.get(row.request_id)
                assert outcome is not None and outcome.process is not None and outcome.process.lease_lost, (
                    f"served call {row.request_id} of a live process was released instead of settled: {kinds}"
                )
                assert "release" in kinds, f"served call {row.request_id} was never billed: {kinds}"
                assert any(row.request_id in letter and '"settle"' in letter for letter in letters), row.request_id
        logged = {row.request_id for row in logs if row.status == 200}
        for request_id, outcome in self.outcomes.items():
            if outcome.charged is not None and outcome.durable:
                assert request_id in logged, f"served call {request_id} left no log row"

    def _check_request(self, request_id: str, kinds: dict[str, list[int]]) -> None:
        if set(kinds) <= {"topup", "adjust"}:
            return
        closing = [(k, a) for k in ("settle", "refund", "release") for a in kinds.get(k, [])]
        assert kinds.get("reserve") and len(kinds["reserve"]) == 1, f"{request_id}: {kinds}"
        assert len(closing) == 1, f"{request_id} was closed {len(closing)} times (or left open): {kinds}"
        held = -kinds["reserve"][0]
        kind, amount = closing[0]
        if kind == "settle":
            charged = held - amount
            assert 0 <= charged <= settle_bound(held, self.tolerance), (request_id, held, charged)
            outcome = self.outcomes.get(request_id)
            if outcome is not None and outcome.charged is not None:
                assert charged == outcome.charged, (request_id, charged, outcome.charged)
        else:
            assert amount == held, f"{request_id}: a {kind} gave back {amount} of a {held} hold"


def _check_sums(entries: Sequence[Any], balances: dict[int, int], spent: dict[int, int]) -> None:
    for entry in entries:
        assert type(entry.amount) is int and -MAX_AMOUNT <= entry.amount <= MAX_AMOUNT, entry
    for account_id, balance in balances.items():
        total = sum(e.amount for e in entries if e.account_id == account_id)
        assert balance == total, f"account {account_id}: balance {balance} but its entries add up to {total}"
        assert -MAX_AMOUNT <= balance <= MAX_AMOUNT and -INT64 <= balance < INT64
    for key_id, value in spent.items():
        total = -sum(e.amount for e in entries if e.key_id == key_id and e.kind != "topup")
        assert value == total, f"key {key_id}: spent {value} but its entries add up to {total}"


def _by_request(entries: Sequence[Any]) -> dict[str, dict[str, list[int]]]:
    grouped: dict[str, dict[str, list[int]]] = {}
    for entry in entries:
        grouped.setdefault(entry.request_id, {}).setdefault(entry.kind, []).append(int(entry.amount))
    return grouped


def test_ledger_invariants_hold_under_arbitrary_calls_top_ups_and_crashes() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.mark.postgres
def test_ledger_invariants_hold_on_postgres(postgres_ok: bool) -> None:
    """The same machine on PostgreSQL (fewer runs: each one migrates a fresh schema)."""
    if not postgres_ok:
        pytest.skip("PostgreSQL not reachable")

    class OnPostgres(LedgerMachine):
        postgres_url = POSTGRES_URL

    run_state_machine_as_test(
        OnPostgres,
        settings=settings(
            max_examples=12,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_a_frozen_process_whose_lease_holds_settles_its_own_call() -> None:
    """A sequence the machine finds at random, pinned: a new process starts while the old one is
    frozen within its lease; the old one wakes, settles and flushes; the hold was not released."""
    machine = LedgerMachine()
    machine.setup(opening=[10**6], caps=[None, None, None], tolerance=0.0, multipliers=["1", "1", "1"])
    request_id = machine._reserve(0, {"mode": "per_call", "per_call": 100}, 10, 10, 1)
    machine.flush()
    machine.crash(flush_first=True)
    frozen = machine.zombies[0]
    machine.run(machine._settle(frozen, frozen.open[request_id], Usage(1, 1)))
    machine.run(machine._flush(frozen))
    machine.sweep()
    machine.teardown()  # checks the store: reserved once, settled once, at the per-call price


def test_a_settle_lost_with_its_killed_process_leaves_the_hold_released_not_charged() -> None:
    """A pinned case of the machine's: reserve, flush, settle, killed before the next flush. The
    settle was never committed (write-behind), so the hold is released once the lease runs out and
    the call is free; no log row is owed for it."""
    machine = LedgerMachine()
    machine.setup(opening=[100_000], caps=[None, None, None], tolerance=0.0, multipliers=["1", "1", "1"])
    request_id = machine._reserve(0, {"mode": None, "per_call": 1}, 0, 0, 1)
    machine.flush()
    machine.settle(request_id, 0, 0, 0)
    machine.crash(flush_first=False)
    assert not machine.outcomes[request_id].durable
    machine.teardown()


def test_a_call_whose_usage_costs_more_than_its_hold_is_charged_the_bound() -> None:
    """A pinned case of the machine's: usage far above the estimate, tolerance 10%."""
    machine = LedgerMachine()
    machine.setup(opening=[10**6], caps=[None, None, None], tolerance=0.1, multipliers=["1", "1", "1"])
    price = {"input_per_million": 1_000_000, "output_per_million": 2_000_000}
    request_id = machine._reserve(0, price, 10, 10, 1)  # holds 10 + 20 = 30
    machine.settle(request_id, 10, 10**9, 1)  # costs 2 * 10^9
    assert machine.outcomes[request_id].charged == settle_bound(30, Fraction(1, 10)) == 33
    machine.settle(request_id, -5, True, 1)  # the call is closed: nothing more
    machine.teardown()
    assert Usage.checked(-1, 5) is None and Usage.checked(True, 5) is None and Usage.checked(10**10, 0) is None


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
