"""Function-level authorization of every mutation (security.md §2, §7; domain.md §1, §4.3, §11).

``ALLOWED`` is the table of who may ever call each mutation, written from the domain (not from
the code): a new mutation without a row fails ``test_the_table_names_every_mutation``. For every
(mutation, role) pair outside the table the mutation is run through GraphQL as that principal with
the input ``tests/authz_inputs.py`` shows to succeed for an allowed one, and must be refused —
FORBIDDEN (a ``userErrors`` entry or a top-level error) with no row changed in any table except
exactly one ``authz_fail`` audit row; UNAUTHENTICATED before any SQL for an anonymous caller.
The allowed side: the arranged input succeeds for its actor, no allowed role is ever FORBIDDEN,
and an object outside the caller's scope gets the reply of an ID that does not exist.

Roles: SPECIALIST, COMPANY, PLATFORM (organisation staff and the platform coordinator, both
tested), the SECRETARIAT of a regional office and the national one, PARTNER tokens by scope
(``read_cases`` only, or with ``write_cases``) and anonymous callers.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from strawberry.types import ExecutionResult
from tortoise import Tortoise

from auth.principal import Principal
from models.audit import AuditEvent
from models.db import tortoise_config
from models.settings import current_settings
from schema.context import Context
from schema.permissions import Public
from schema.root import build_schema
from tests.authz_inputs import (
    ARRANGEMENTS,
    Call,
    matrix_world,
    table_rows,
    value_at,
    with_value,
)
from tests.conftest import DB_KIND
from tests.factories import World
from tests.statements import counting_statements

SCHEMA = build_schema(current_settings())
REQUEST_ID = "req-authz-matrix"
AUDIT_TABLE = AuditEvent._meta.db_table

# ---------------------------------------------------------------- roles

SPECIALIST = "SPECIALIST"
COMPANY = "COMPANY"
PLATFORM = "PLATFORM"
SECRETARIAT_OFFICE = "SECRETARIAT_OFFICE"
SECRETARIAT_NATIONAL = "SECRETARIAT_NATIONAL"
PARTNER_READ = "PARTNER_READ_CASES"
PARTNER_WRITE = "PARTNER_WRITE_CASES"
ANONYMOUS = "ANONYMOUS"

#: The principals of the fixture world that stand for each role in the matrix.
ROLE_PRINCIPALS: dict[str, tuple[str, ...]] = {
    SPECIALIST: ("specialist_s1_user",),
    COMPANY: ("company_c1_user",),
    PLATFORM: ("platform_o1_staff", "platform_r1_coordinator"),
    SECRETARIAT_OFFICE: ("secretariat_kanto",),
    SECRETARIAT_NATIONAL: ("secretariat_national",),
    PARTNER_READ: ("partner_p1",),
    PARTNER_WRITE: ("partner_p2",),
    ANONYMOUS: ("anonymous",),
}

#: The role of every principal of the fixture world (probes use the others).
PRINCIPAL_ROLE: dict[str, str] = {
    "specialist_s1_user": SPECIALIST,
    "specialist_s2_user": SPECIALIST,
    "specialist_s3_user": SPECIALIST,
    "company_c1_user": COMPANY,
    "company_c2_user": COMPANY,
    "platform_o1_staff": PLATFORM,
    "platform_r1_coordinator": PLATFORM,
    "platform_o2_staff": PLATFORM,
    "platform_o3_staff": PLATFORM,
    "secretariat_kanto": SECRETARIAT_OFFICE,
    "secretariat_kinki": SECRETARIAT_OFFICE,
    "secretariat_national": SECRETARIAT_NATIONAL,
    "partner_p1": PARTNER_READ,
    "partner_p2": PARTNER_WRITE,
    "anonymous": ANONYMOUS,
}

EVERYONE = frozenset(ROLE_PRINCIPALS)
SECRETARIAT = frozenset({SECRETARIAT_OFFICE, SECRETARIAT_NATIONAL})
ONLY_SPECIALIST = frozenset({SPECIALIST})
#: §4.3 "requester side (filer, company, platform of the case)": the secretariat is the filer of
#: the cases it files; a partner token acts for its organisation's cases with ``write_cases``.
REQUESTER_SIDE = frozenset({COMPANY, PLATFORM, PARTNER_WRITE}) | SECRETARIAT

# ---------------------------------------------------------------- the table

#: Who may ever call each mutation (domain.md §1, §3, §4, §5–§7, §10; issues 3, 4, 5, 6).
ALLOWED: dict[str, frozenset[str]] = {
    # Sign-in and the new applicant's account need no account (test_permissions.PUBLIC).
    "login": EVERYONE,
    "logout": EVERYONE,
    "refreshToken": EVERYONE,
    "specialistApply": EVERYONE,
    # §4.1 "Filed by PLATFORM staff…, by a COMPANY member itself, or by the secretariat". §1 lets
    # a partner "optionally file requests (scope)": Haken does not offer filing by token —
    # ``write_cases`` makes a token the requester side of its organisation's existing cases.
    "caseCreate": frozenset({COMPANY, PLATFORM}) | SECRETARIAT,
    # §4.3, one row each.
    "caseAccept": ONLY_SPECIALIST,
    "caseProposeDates": ONLY_SPECIALIST,
    "caseAcceptProposal": REQUESTER_SIDE,
    "caseRejectProposals": REQUESTER_SIDE,
    "caseSchedule": SECRETARIAT,
    "caseDecline": ONLY_SPECIALIST,
    "caseWithdraw": REQUESTER_SIDE,
    "caseCancel": REQUESTER_SIDE | ONLY_SPECIALIST,
    "caseGrantLimitException": SECRETARIAT,
    "caseCheckIn": ONLY_SPECIALIST,
    "caseCheckOut": ONLY_SPECIALIST,
    # §5 documents, §12 uploads: the parties of a case send papers; partner tokens upload nothing.
    "documentUpload": frozenset({SPECIALIST, COMPANY, PLATFORM}) | SECRETARIAT,
    "documentMarkReceived": SECRETARIAT,
    # §3 registration and the per-FY commission.
    "specialistProfileUpdate": ONLY_SPECIALIST,
    "specialistSubmit": ONLY_SPECIALIST,
    "specialistApproveByOrganisation": frozenset({PLATFORM}),
    "specialistRejectByOrganisation": frozenset({PLATFORM}),
    "specialistApproveBySecretariat": SECRETARIAT,
    "specialistReturn": SECRETARIAT,
    "specialistReject": SECRETARIAT,
    "commissionTermsAccept": ONLY_SPECIALIST,
    "commissionLetterIssue": SECRETARIAT,
    "acceptanceLetterSubmit": ONLY_SPECIALIST,
    "specialistRevoke": SECRETARIAT,
    "specialistWithdraw": ONLY_SPECIALIST,
    "specialistAvailabilityUpdate": ONLY_SPECIALIST,
    "specialistHolidaysSet": ONLY_SPECIALIST,
    # §7.4 fraud controls.
    "supportOrganizationSuspend": SECRETARIAT,
    # Issue 5: dead letters are the secretariat's.
    "outboxRequeue": SECRETARIAT,
    # §5 report by the specialist; review and correction by the secretariat.
    "reportSaveDraft": ONLY_SPECIALIST,
    "reportSubmit": ONLY_SPECIALIST,
    "reportAccept": SECRETARIAT,
    "reportReturn": SECRETARIAT,
    "expenseCorrect": SECRETARIAT,
    # §6 "the platform and/or the company of the case each may submit one evaluation".
    "evaluationSubmit": frozenset({COMPANY, PLATFORM}),
    # §7.2 payment batches.
    "paymentBatchCreate": SECRETARIAT,
    "paymentBatchMarkPaid": SECRETARIAT,
}

PUBLIC_MUTATIONS = sorted(name for name, roles in ALLOWED.items() if roles == EVERYONE)
GUARDED_MUTATIONS = sorted(name for name in ALLOWED if name not in PUBLIC_MUTATIONS)


def refused_pairs(*, anonymous: bool) -> list[Any]:
    pairs = []
    for mutation in GUARDED_MUTATIONS:
        for role in ROLE_PRINCIPALS:
            if role in ALLOWED[mutation] or (role == ANONYMOUS) != anonymous:
                continue
            for principal in ROLE_PRINCIPALS[role]:
                pairs.append(pytest.param(mutation, principal, id=f"{mutation}-{principal}"))
    return pairs


# ---------------------------------------------------------------- GraphQL plumbing


def mutation_fields() -> dict[str, GraphQLField]:
    mutation_type = SCHEMA._schema.mutation_type
    assert mutation_type is not None
    return dict(mutation_type.fields)


def _needs_arguments(field: GraphQLField) -> bool:
    return any(
        isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
        for argument in field.args.values()
    )


def _leaves(type_: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
    return [
        name
        for name, field in type_.fields.items()
        if is_leaf_type(get_named_type(field.type)) and not _needs_arguments(field)
    ]


def selection(output: GraphQLOutputType) -> str:
    """Every field of a payload: leaves as they are, objects by ``id`` (or their leaves)."""
    payload = get_named_type(output)
    assert isinstance(payload, GraphQLObjectType)
    parts = []
    for name, field in payload.fields.items():
        if _needs_arguments(field):
            continue
        inner = get_named_type(field.type)
        if name == "userErrors":
            parts.append("userErrors { field code message }")
        elif is_leaf_type(inner):
            parts.append(name)
        elif isinstance(inner, GraphQLObjectType | GraphQLInterfaceType):
            inside = ["id"] if "id" in inner.fields else _leaves(inner)
            parts.append(f"{name} {{ {' '.join(inside) or '__typename'} }}")
        else:
            parts.append(f"{name} {{ __typename }}")
    return " ".join(parts)


def operation(name: str) -> str:
    field = mutation_fields()[name]
    input_type = field.args["input"].type
    return (
        f"mutation ($input: {input_type}) {{ {name}(input: $input) {{ {selection(field.type)} }} }}"
    )


async def execute(principal: Principal, name: str, call: Call) -> ExecutionResult:
    context = Context(
        request=None,
        response=None,
        settings=current_settings(),
        principal=principal,
        request_id=REQUEST_ID,
    )
    context.loaders.now = call.now
    return await SCHEMA.execute(
        operation(name), variable_values={"input": call.input}, context_value=context
    )


def errors_of(result: ExecutionResult, name: str) -> list[tuple[tuple[str, ...] | None, str]]:
    """Top-level error codes (field ``None``) and the payload's ``userErrors``."""
    found: list[tuple[tuple[str, ...] | None, str]] = [
        (None, str((error.extensions or {}).get("code", ""))) for error in result.errors or ()
    ]
    payload = (result.data or {}).get(name)
    if payload:
        found += [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]
    return found


def reply(result: ExecutionResult) -> dict[str, Any]:
    """The response as a client receives it."""
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


def ids_in(value: Any) -> list[str]:
    """Every ``id`` in a reply's data."""
    if isinstance(value, dict):
        own = [str(value["id"])] if value.get("id") is not None else []
        return own + [i for k, v in value.items() if k != "id" for i in ids_in(v)]
    if isinstance(value, list):
        return [i for v in value for i in ids_in(v)]
    return []


NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"


async def unseen_objects(principal: Principal, result: ExecutionResult) -> list[str]:
    """Objects in the reply that ``principal`` cannot read through ``nodes`` (a leak)."""
    ids = ids_in(result.data)
    if not ids:
        return []
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    seen = await SCHEMA.execute(NODES, variable_values={"ids": ids}, context_value=context)
    assert seen.errors is None and seen.data is not None, seen.errors
    return [i for i, node in zip(ids, seen.data["nodes"], strict=True) if node is None]


async def audit_rows() -> list[dict[str, Any]]:
    return await AuditEvent.all().order_by("id").values()


_cached: dict[str, Any] = {}


@pytest.fixture
async def world(db: str, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The matrix world, fresh for every test. On SQLite it is built once and its database file
    copied for each test (the same rows, ~10x faster than building it again)."""
    if DB_KIND != "sqlite":
        return await matrix_world()
    target = Path(db.removeprefix("sqlite://"))
    if "world" not in _cached:
        built = await matrix_world()
        await Tortoise.close_connections()
        copy = tmp_path_factory.mktemp("authz-world") / "world.sqlite3"
        shutil.copyfile(target, copy)
        _cached.update(world=built, path=copy)
    else:
        await Tortoise.close_connections()
        shutil.copyfile(_cached["path"], target)
    await Tortoise.init(config=tortoise_config(db), _enable_global_fallback=True)
    return _cached["world"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the table itself


def test_the_table_names_every_mutation() -> None:
    # every Mutation field of the built schema has a row, and every row is a mutation
    assert set(ALLOWED) == set(mutation_fields())
    # and every guarded mutation has a valid input to run the matrix with
    assert set(ARRANGEMENTS) == set(GUARDED_MUTATIONS)
    assert all(roles <= EVERYONE and roles for roles in ALLOWED.values())


def test_the_public_rows_are_the_mutations_without_sign_in() -> None:
    definition = SCHEMA.get_type_by_name("Mutation")
    public = {
        SCHEMA.config.name_converter.get_graphql_name(field)
        for field in definition.fields  # type: ignore[union-attr]
        if Public in (field.permission_classes or ())
    }
    assert public == set(PUBLIC_MUTATIONS)
    assert all(ANONYMOUS not in ALLOWED[name] for name in GUARDED_MUTATIONS)


def test_every_principal_of_the_world_has_a_role() -> None:
    principals = {f.name for f in dataclasses.fields(World) if f.type == "Principal"}
    assert principals == set(PRINCIPAL_ROLE)
    assert all(PRINCIPAL_ROLE[p] == role for role, ps in ROLE_PRINCIPALS.items() for p in ps)


def test_every_arrangement_names_an_allowed_actor_and_probe() -> None:
    for name, arrangement in ARRANGEMENTS.items():
        assert PRINCIPAL_ROLE[arrangement.actor] in ALLOWED[name], name
        if arrangement.probe is not None:
            assert PRINCIPAL_ROLE[arrangement.probe.principal] in ALLOWED[name], name


# ---------------------------------------------------------------- refused pairs


@pytest.mark.parametrize(("mutation", "who"), refused_pairs(anonymous=False))
async def test_a_refused_role_gets_forbidden_and_only_an_authz_fail_audit(
    world: World, mutation: str, who: str
) -> None:
    # given a valid input for the mutation, arranged as if this principal could call it
    principal = world.principals()[who]
    call = await ARRANGEMENTS[mutation].arrange(world, principal)
    audited = await audit_rows()
    before = await table_rows(exclude=frozenset({AUDIT_TABLE}))
    # when the principal, whose role may never call it, runs it
    result = await execute(principal, mutation, call)
    # then it is FORBIDDEN (as a user error or a top-level error), nothing else
    assert [code for _, code in errors_of(result, mutation)] == ["FORBIDDEN"], result
    # and no row of any table changed, no event, no mail
    assert await table_rows(exclude=frozenset({AUDIT_TABLE})) == before
    # and exactly one append-only authz_fail audit row names the actor and the request
    after = await audit_rows()
    assert after[: len(audited)] == audited
    (row,) = after[len(audited) :]
    assert principal.role is not None
    assert (row["action"], row["outcome"], row["actor_id"], row["actor_role"]) == (
        "authz_fail",
        "failure",
        principal.account_id,
        principal.role.value,
    )
    assert row["request_id"] == REQUEST_ID
    # and the reply shows nothing the principal could not read anyway
    assert await unseen_objects(principal, result) == []


@pytest.mark.parametrize(("mutation", "who"), refused_pairs(anonymous=True))
async def test_an_anonymous_caller_is_unauthenticated_before_any_sql(
    world: World, mutation: str, who: str
) -> None:
    call = await ARRANGEMENTS[mutation].arrange(world, world.anonymous)
    before = await table_rows()
    # when nobody signed in runs the mutation
    with counting_statements() as statements:
        result = await execute(world.anonymous, mutation, call)
    # then it is UNAUTHENTICATED before any SQL, and nothing is written (not even an audit row)
    assert result.data is None or result.data == {mutation: None}
    assert errors_of(result, mutation) == [(None, "UNAUTHENTICATED")]
    assert statements == []
    assert await table_rows() == before


# ---------------------------------------------------------------- allowed pairs


@pytest.mark.parametrize("mutation", GUARDED_MUTATIONS)
async def test_the_arranged_input_succeeds_for_its_actor(world: World, mutation: str) -> None:
    # given the arranged input and the principal it is arranged for
    arrangement = ARRANGEMENTS[mutation]
    principal = world.principals()[arrangement.actor]
    call = await arrangement.arrange(world, principal)
    before = await table_rows()
    # when that principal runs it
    result = await execute(principal, mutation, call)
    # then it succeeds and writes (so the refusals above refuse a valid input)
    assert result.errors is None, result.errors
    assert result.data is not None
    assert result.data[mutation]["userErrors"] == []
    assert await table_rows() != before
    assert await AuditEvent.filter(action="authz_fail").count() == 0


@pytest.mark.parametrize("mutation", GUARDED_MUTATIONS)
async def test_no_allowed_role_is_ever_forbidden(world: World, mutation: str) -> None:
    # given the arranged input for each principal of every allowed role (their own uploads)
    forbidden = []
    for role in sorted(ALLOWED[mutation]):
        for who in ROLE_PRINCIPALS[role]:
            principal = world.principals()[who]
            call = await ARRANGEMENTS[mutation].arrange(world, principal)
            # when it runs the mutation (the world may have moved on: only the role matters)
            result = await execute(principal, mutation, call)
            codes = [code for _, code in errors_of(result, mutation)]
            if "FORBIDDEN" in codes or "UNAUTHENTICATED" in codes:
                forbidden.append(who)
    # then no allowed role is refused as such, and nobody was audited as a refusal
    assert forbidden == []
    assert await AuditEvent.filter(action="authz_fail").count() == 0


PROBED = sorted(name for name, a in ARRANGEMENTS.items() if a.probe is not None)


@pytest.mark.parametrize("mutation", PROBED)
async def test_an_object_out_of_scope_gets_the_reply_of_a_missing_id(
    world: World, mutation: str
) -> None:
    # given an object the probing principal may not see (its role may call the mutation)
    arrangement = ARRANGEMENTS[mutation]
    probe = arrangement.probe
    assert probe is not None
    principal = world.principals()[probe.principal]
    call = await arrangement.arrange(world, principal)
    missing = Call(with_value(call.input, probe.path, probe.missing_id()), call.now)
    before = await table_rows()
    # when it names that object, and then an ID that does not exist
    seen = await execute(principal, mutation, call)
    after_seen = await table_rows()
    absent = await execute(principal, mutation, missing)
    # then both are NOT_FOUND at that ID, byte for byte the same reply, and nothing is written
    assert errors_of(seen, mutation) == [(("input", *probe.path), "NOT_FOUND")], seen
    assert reply(seen) == reply(absent)
    assert await unseen_objects(principal, seen) == []
    assert after_seen == before
    assert await table_rows() == before


UPLOADING = sorted(name for name, a in ARRANGEMENTS.items() if a.foreign_upload is not None)


@pytest.mark.parametrize("mutation", UPLOADING)
async def test_someone_elses_upload_gets_the_reply_of_a_missing_one(
    world: World, mutation: str
) -> None:
    # given the actor's valid input, and an upload of the same kind by another account
    arrangement = ARRANGEMENTS[mutation]
    probe = arrangement.foreign_upload
    assert probe is not None
    actor = world.principals()[arrangement.actor]
    call = await arrangement.arrange(world, actor)
    theirs = await arrangement.arrange(world, world.principals()[probe.principal])
    foreign = with_value(call.input, probe.path, value_at(theirs.input, probe.path))
    missing = with_value(call.input, probe.path, probe.missing_id())
    before = await table_rows()
    # when the actor names the other account's upload, and then an upload that does not exist
    seen = await execute(actor, mutation, Call(foreign, call.now))
    absent = await execute(actor, mutation, Call(missing, call.now))
    # then both are refused at that ID with the same reply, and nothing is written
    ((field, code),) = errors_of(seen, mutation)
    assert (field, code in {"NOT_FOUND", "INVALID"}) == (("input", *probe.path), True), seen
    assert reply(seen) == reply(absent)
    assert await table_rows() == before


async def test_another_offices_organisation_is_refused_and_audited(world: World) -> None:
    # given 東京よろず支援拠点 (関東): reference data every signed-in principal reads
    arrangement = ARRANGEMENTS["supportOrganizationSuspend"]
    kinki = world.secretariat_kinki
    call = await arrangement.arrange(world, kinki)
    audited = await audit_rows()
    before = await table_rows(exclude=frozenset({AUDIT_TABLE}))
    # when the 近畿 office suspends it
    result = await execute(kinki, "supportOrganizationSuspend", call)
    # then it is FORBIDDEN at the organisation, nothing is written but one authz_fail row
    assert errors_of(result, "supportOrganizationSuspend") == [
        (("input", "organizationId"), "FORBIDDEN")
    ]
    assert await table_rows(exclude=frozenset({AUDIT_TABLE})) == before
    after = await audit_rows()
    assert after[: len(audited)] == audited
    (row,) = after[len(audited) :]
    assert (row["action"], row["actor_id"], row["request_id"]) == (
        "authz_fail",
        kinki.account_id,
        REQUEST_ID,
    )
