"""``resolvers.idempotency.run_idempotent`` (security.md reliability 4, security-tests.md R7 and
R12c) on SQLite and PostgreSQL: one execution per (principal, key), replay of the stored result,
refusal of another request under a live key, nothing stored for a refused or crashed attempt, and
the key written in the mutation's own transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from auth.audit import FAILURE, record_audit
from auth.principal import Principal
from models.audit import AuditEvent
from models.idempotency import IdempotencyKey
from models.rules.errors import DomainError, ErrorCode, StaleVersion, ValidationErrors
from models.rules.idempotency import (
    KEY_FIELD,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    lock_id,
)
from models.rules.roles import Role
from resolvers.idempotency import principal_identity, purge_expired_keys, run_idempotent

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
P1 = Principal(account_id=1, role=Role.SECRETARIAT)
P2 = Principal(account_id=2, role=Role.SECRETARIAT)
OP = "paymentBatchCreate"
FP = "a" * 64
KEY = "8d3c1f0e-5b2a-4c7d-9e6f-0a1b2c3d4e5f"


def _postgres() -> bool:
    return str(connections.get("default").capabilities.dialect) == "postgres"


ACTION = "idempotency_probe"


async def write_row(run: int = 0) -> int:
    """One row a mutation writes (an audit row: no listener, no mail)."""
    await record_audit(ACTION, target_id=run)
    row = await AuditEvent.filter(action=ACTION, target_id=str(run)).order_by("-id").first()
    assert row is not None
    return row.id


async def written() -> int:
    return await AuditEvent.filter(action=ACTION).count()


class Counter:
    """A mutation that writes one row in its own transaction per execution."""

    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self) -> dict[str, Any]:
        async with in_transaction():
            self.runs += 1
            row_id = await write_row(self.runs)
        return {"rowId": row_id, "run": self.runs}


async def run(
    execute: Callable[[], Awaitable[dict[str, Any]]],
    *,
    principal: Principal = P1,
    key: str | None = KEY,
    operation: str = OP,
    fingerprint: str = FP,
    now: datetime = NOW,
    validate_only: bool = False,
) -> dict[str, Any]:
    return await run_idempotent(
        principal, key, operation, fingerprint, now, execute, validate_only=validate_only
    )


async def test_a_retry_replays_the_stored_result_without_running_again(db: str) -> None:
    # given a mutation run once under a key
    mutation = Counter()
    first = await run(mutation)
    # when the client retries with the same key and input, twice
    second = await run(mutation)
    third = await run(mutation, now=NOW + timedelta(hours=23))
    # then the first result comes back and nothing ran again
    assert first == second == third == {"rowId": first["rowId"], "run": 1}
    assert mutation.runs == 1
    assert await written() == 1
    stored = await IdempotencyKey.get(principal="account:1", key=KEY)
    assert (stored.operation, stored.fingerprint, stored.response) == (OP, FP, first)
    assert stored.created_at == NOW
    assert stored.expires_at == NOW + timedelta(hours=24)


async def test_without_a_key_every_call_runs(db: str) -> None:
    mutation = Counter()
    await run(mutation, key=None)
    await run(mutation, key=None)
    assert mutation.runs == 2
    assert await IdempotencyKey.all().count() == 0


async def test_validate_only_runs_and_stores_no_key(db: str) -> None:
    mutation = Counter()
    await run(mutation, validate_only=True)
    await run(mutation, validate_only=True)
    assert mutation.runs == 2
    assert await IdempotencyKey.all().count() == 0


@pytest.mark.parametrize(
    "changes",
    [{"fingerprint": "b" * 64}, {"operation": "expenseCorrect"}],
    ids=["another input", "another mutation"],
)
async def test_the_same_key_for_another_request_is_refused(
    db: str, changes: dict[str, Any]
) -> None:
    # given a key used by one request
    mutation = Counter()
    await run(mutation)
    # when another request comes with the same key
    with pytest.raises(IdempotencyKeyReused) as refused:
        await run(mutation, **changes)
    # then it is refused at the key's field and nothing ran or changed
    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert refused.value.field == KEY_FIELD
    assert mutation.runs == 1
    assert await written() == 1
    assert (await IdempotencyKey.get(key=KEY)).fingerprint == FP


async def test_keys_are_per_principal(db: str) -> None:
    # given P1's key
    mutation = Counter()
    mine = await run(mutation)
    # when P2 sends the same key, even with another input
    theirs = await run(mutation, principal=P2, fingerprint="b" * 64)
    # then P2's request runs on its own, and neither replays the other's result
    assert (mine["run"], theirs["run"]) == (1, 2)
    assert await run(mutation) == mine
    assert await run(mutation, principal=P2, fingerprint="b" * 64) == theirs
    assert sorted(await IdempotencyKey.all().values_list("principal", flat=True)) == [
        "account:1",
        "account:2",
    ]
    assert principal_identity(P1) == "account:1"
    assert principal_identity(Principal()) is None


async def test_a_refused_attempt_is_not_stored_so_a_corrected_retry_runs(db: str) -> None:
    # given a mutation that is refused the first time: it writes its audit row outside its own
    # transaction (like a FORBIDDEN) and a change inside it that the refusal rolls back
    attempts = 0

    async def mutation() -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await record_audit("authz_fail", outcome=FAILURE)
            async with in_transaction():
                await write_row()
                raise StaleVersion(field=("input", "version"))
        return await Counter()()

    with pytest.raises(StaleVersion):
        await run(mutation)
    # then no key is stored, the audit row stays (as without a key), the change does not
    assert await IdempotencyKey.all().count() == 0
    assert await AuditEvent.filter(action="authz_fail").count() == 1
    assert await written() == 0
    # when the corrected request is sent with the same key, it runs and is stored
    result = await run(mutation)
    assert attempts == 2 and result["run"] == 1
    assert await run(mutation) == result
    assert attempts == 2


async def test_a_crash_rolls_back_the_change_and_leaves_the_key_free(db: str) -> None:
    # given a mutation that fails unexpectedly after writing (a cancelled request, R12c)
    async def crashing() -> dict[str, Any]:
        await write_row()
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError):
        await run(crashing)
    # then nothing is left, and a retry with the same key runs once
    assert await written() == 0
    assert await IdempotencyKey.all().count() == 0
    mutation = Counter()
    assert (await run(mutation))["run"] == 1
    assert (await run(mutation))["run"] == 1
    assert await written() == 1


async def test_the_key_commits_with_the_mutations_own_transaction(db: str) -> None:
    # given a mutation whose own transaction succeeds but whose key cannot be stored
    async def unstorable() -> dict[str, Any]:
        async with in_transaction():
            await write_row()
        return {"value": object()}

    # when it runs under a key
    with pytest.raises(TypeError):
        await run(unstorable)
    # then the mutation's committed-looking change was part of the same transaction: gone
    assert await written() == 0
    assert await IdempotencyKey.all().count() == 0


async def test_an_expired_key_is_processed_as_new(db: str) -> None:
    # given a key stored 24 hours ago
    mutation = Counter()
    first = await run(mutation)
    later = NOW + timedelta(hours=24)
    # when it comes again after expiry, even with another input
    second = await run(mutation, now=later, fingerprint="b" * 64)
    # then it runs again and the key now guards the new request
    assert (first["run"], second["run"]) == (1, 2)
    stored = await IdempotencyKey.get(key=KEY)
    assert (stored.fingerprint, stored.response) == ("b" * 64, second)
    assert stored.expires_at == later + timedelta(hours=24)
    assert await IdempotencyKey.all().count() == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [("", ErrorCode.INVALID), ("k" * 101, ErrorCode.TOO_LONG), ("a b", ErrorCode.INVALID)],
)
async def test_a_malformed_key_is_refused_before_anything_runs(
    db: str, key: str, code: ErrorCode
) -> None:
    mutation = Counter()
    for validate_only in (False, True):
        with pytest.raises(ValidationErrors) as refused:
            await run(mutation, key=key, validate_only=validate_only)
        assert [(e.code, e.field) for e in refused.value.errors] == [(code, KEY_FIELD)]
    assert mutation.runs == 0


async def test_concurrent_duplicates_run_once(db: str) -> None:
    # given ten identical requests sent at the same time
    mutation = Counter()
    outcomes = await asyncio.gather(*(run(mutation) for _ in range(10)), return_exceptions=True)
    # then exactly one ran; the others replayed its result or (PostgreSQL, while it was still
    # running) were told the key is in use
    assert mutation.runs == 1
    assert await written() == 1
    results = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert results and all(r == {"rowId": results[0]["rowId"], "run": 1} for r in results)
    assert all(isinstance(e, IdempotencyKeyInUse) for e in refused)
    if not _postgres():
        assert refused == []  # SQLite runs one write transaction at a time: the rest replay


async def test_a_duplicate_while_the_first_still_runs_is_in_use_on_postgres(db: str) -> None:
    if not _postgres():
        pytest.skip("SQLite serialises write transactions: a duplicate waits, then replays")
    # given a first request that is still running under the key
    started, release = asyncio.Event(), asyncio.Event()
    mutation = Counter()

    async def slow() -> dict[str, Any]:
        result = await mutation()
        started.set()
        await release.wait()
        return result

    first = asyncio.create_task(run(slow))
    await started.wait()
    # when the client retries meanwhile
    with pytest.raises(IdempotencyKeyInUse) as refused:
        await run(mutation)
    # then it is refused (nothing ran), while other principals and keys are not held up
    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_IN_USE
    assert refused.value.field == KEY_FIELD
    assert (await run(mutation, principal=P2))["run"] == 2
    assert (await run(mutation, key="other-key"))["run"] == 3
    # and once the first has finished, the retry replays its result
    release.set()
    done = await first
    assert done["run"] == 1
    assert await run(mutation) == done
    assert mutation.runs == 3


async def test_the_lock_is_taken_per_principal_and_key_on_postgres(db: str) -> None:
    if not _postgres():
        pytest.skip("advisory locks are PostgreSQL's")
    # given another session (another server process) holding the lock of P1's key
    mutation = Counter()
    holder = await asyncpg.connect(db.replace("postgres://", "postgresql://"))
    try:
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1)", lock_id("account:1", KEY))
            # when P1 sends a request with that key, then it is in use; P2 is not held up
            with pytest.raises(IdempotencyKeyInUse):
                await run(mutation)
            assert (await run(mutation, principal=P2))["run"] == 1
    finally:
        await holder.close()
    # and once released, it runs
    assert (await run(mutation))["run"] == 2


async def test_expired_keys_are_purged(db: str) -> None:
    # given keys stored at different times
    for hours, key in ((0, "old"), (12, "middle"), (30, "new")):
        await run(Counter(), key=key, now=NOW + timedelta(hours=hours))
    # when the purge runs 25 hours after the first
    deleted = await purge_expired_keys(NOW + timedelta(hours=25))
    # then only the expired key is gone
    assert deleted == 1
    assert sorted(await IdempotencyKey.all().values_list("key", flat=True)) == ["middle", "new"]
    assert await purge_expired_keys(NOW + timedelta(hours=25)) == 0
    assert await purge_expired_keys(NOW + timedelta(days=3), batch=1) == 1
    assert await IdempotencyKey.all().count() == 1


def test_domain_errors_are_what_the_mutations_report() -> None:
    assert issubclass(IdempotencyKeyInUse, DomainError)
    assert issubclass(IdempotencyKeyReused, DomainError)
