"""Every ``ID`` the schema accepts survives garbage (security.md §8, security-tests.md S4, S30).

The test walks the built schema: every argument of every ``Query``, ``Mutation`` and
``Subscription`` field whose type is ``ID``/``[ID]``, and every ``ID`` field of every input object
reachable from them (nested inputs and lists included). For each such position a well-formed
request is generated from the GraphQL types (required fields only; other IDs name real rows of the
fixture world) with the bad value in that position.

* First a role and a case are searched for whose request actually reaches this ID (a specialist's
  report on an unreported case, a check-out on the dispatch day …), so the position is not passed
  merely because the workflow refused earlier. There, every bad value must be refused *as this
  ID*: ``userErrors`` entry with the ID's input path (``NOT_FOUND`` / ``INVALID`` / ``REQUIRED`` /
  ``FORBIDDEN``) or a top-level ``BAD_USER_INPUT`` naming it.
* As the national secretariat, a platform staff member and a specialist, every bad value must be
  an expected refusal: a ``userErrors`` entry or a top-level error with a code of api.md §10 —
  never ``Unexpected error.``, ``INTERNAL``, a traceback or an ERROR log line. ``node``/``nodes``
  answer ``null`` (api.md §7).
* A global ID of another type that names an existing row of the expected type
  (``Company:<case pk>`` where a DispatchCase is expected) is refused like a malformed one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
    is_required_input_field,
    parse,
    validate,
)
from strawberry.types import ExecutionResult

from auth.principal import Principal
from models.accounts import UserAccount
from models.cases import DispatchCase
from models.rules.money_kinds import CheckKind
from models.settings import current_settings
from schema.context import Context
from schema.relay import to_global_id
from schema.root import build_schema
from tests.factories import BASE, World, build_world, make_check_event, make_dispatched_case

SCHEMA = build_schema(current_settings())
GRAPHQL = SCHEMA._schema

#: An element of a list on the way to an ID (the request sends a one-element list).
ITEM = 0

#: The closed set of top-level codes (api.md §10) a bad ID may produce.
REFUSAL_CODES = {"NOT_FOUND", "BAD_USER_INPUT", "FORBIDDEN"}
#: userErrors codes that mean "this ID is unusable / not yours".
USER_ERROR_CODES = {"NOT_FOUND", "INVALID", "REQUIRED", "FORBIDDEN"}
#: Fields whose IDs never raise: unknown or out of scope is ``null`` (api.md §7).
NULL_FOR_UNKNOWN = {"node", "nodes"}

#: Plain master ids (decline reasons and cancel categories expose their row id, not a global ID).
MASTER = "master"
#: Any Node type (``node``/``nodes``).
ANY = "any"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_IDS = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1.5",
    "99999999999999999999",
    "9223372036854775808",
    "1 OR 1=1",
    "' OR 1=1 --",
    "1; DROP TABLE dispatch_case; --",
    "%",
    "\x00",
    b64("DispatchCase:-1"),
    b64("DispatchCase:0"),
    b64("DispatchCase:2147483648"),
    b64("DispatchCase:99999999999999999999"),
    b64("DispatchCase:1 OR 1=1"),
    b64("Company:abc"),
    b64("Prefecture:40000"),  # beyond the smallint column of prefectures
    b64("Prefecture:2147483647"),
    b64("UserAccount:1"),
    b64(":1"),
    "x" * 5000,
]


# ---------------------------------------------------------------- the schema walk


@dataclass(frozen=True)
class IdSlot:
    """One place an ID goes: ``operation field(path[0]: {path[1]: … })``."""

    operation: str  # "query" | "mutation" | "subscription"
    field: str
    path: tuple[str | int, ...]  # argument name, input field names, ITEM for list elements

    @property
    def name(self) -> str:
        steps = ".".join("[]" if step == ITEM else str(step) for step in self.path)
        return f"{self.field}({steps})".replace(".[]", "[]")

    @property
    def leaf(self) -> str:
        return next(str(step) for step in reversed(self.path) if step != ITEM)

    @property
    def user_error_path(self) -> list[str]:
        return [str(step) for step in self.path]


def _unwrap(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _id_paths(
    type_: GraphQLInputType, path: tuple[str | int, ...], seen: frozenset[str]
) -> Iterator[tuple[str | int, ...]]:
    type_ = _unwrap(type_)
    if isinstance(type_, GraphQLList):
        yield from _id_paths(type_.of_type, (*path, ITEM), seen)
    elif isinstance(type_, GraphQLScalarType) and type_.name == "ID":
        yield path
    elif isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
        for name, field in type_.fields.items():
            yield from _id_paths(field.type, (*path, name), seen | {type_.name})


def id_slots() -> list[IdSlot]:
    slots = []
    roots = (
        ("query", GRAPHQL.query_type),
        ("mutation", GRAPHQL.mutation_type),
        ("subscription", GRAPHQL.subscription_type),
    )
    for operation, root in roots:
        assert root is not None
        for field_name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                for path in _id_paths(arg.type, (arg_name,), frozenset()):
                    slots.append(IdSlot(operation, field_name, path))
    return slots


SLOTS = id_slots()

#: The Node type each ID position expects, by the input field's name (``id`` by root field).
ID_TYPES: dict[str, str] = {
    "caseId": "DispatchCase",
    "companyId": "Company",
    "specialistId": "Specialist",
    "issueCategoryId": "IssueCategory",
    "issueCategoryIds": "IssueCategory",
    "expertiseIds": "IssueCategory",
    "qualificationId": "Qualification",
    "mainQualificationId": "Qualification",
    "industryId": "Industry",
    "industryIds": "Industry",
    "prefectureId": "Prefecture",
    "areaIds": "Prefecture",
    "organizationId": "SupportOrganization",
    "platformId": "RegionalPlatform",
    "officeId": "RegionalOffice",
    "documentId": "Document",
    "documentIds": "Document",
    "photoDocumentId": "Document",
    "certificateDocumentId": "Document",
    "signatureDocumentId": "Document",
    "letterDocumentId": "Document",
    "declineReasonId": MASTER,
    "cancelCategoryId": MASTER,
}
ROOT_ID_TYPES: dict[str, str] = {
    "node": ANY,
    "nodes": ANY,
    "outboxRequeue": "OutboxMessage",
    "paymentBatchMarkPaid": "PaymentBatch",
}


def expected_type(slot: IdSlot) -> str | None:
    if slot.leaf in ("id", "ids"):
        return ROOT_ID_TYPES.get(slot.field, "DispatchCase")
    return ID_TYPES.get(slot.leaf)


PK_OF_WORLD = {
    "DispatchCase": "case_s1_c1",
    "Company": "company_c1",
    "Specialist": "specialist_s1",
    "IssueCategory": "issue_category",
    "Qualification": "qualification",
    "Industry": "industry",
    "Prefecture": "pref_tokyo",
    "SupportOrganization": "org_o1",
    "RegionalPlatform": "platform_r1",
    "RegionalOffice": "office_kanto",
    "Document": "document_s1_c1",
}


@dataclass(frozen=True)
class Subject:
    """The rows well-formed sibling IDs name: one existing row per type, one case in focus."""

    pks: dict[str, int]
    version: int = 1

    @classmethod
    def of(cls, world: World) -> Subject:
        return cls({name: int(getattr(world, attr)) for name, attr in PK_OF_WORLD.items()})

    def with_case(self, pk: int, version: int) -> Subject:
        return Subject({**self.pks, "DispatchCase": pk}, version)

    def pk(self, type_name: str) -> int:
        return self.pks.get(type_name, 1)  # 1: a type the world has no row of

    def valid_id(self, field: str, leaf: str) -> str:
        """A well-formed ID for a position that is not under test."""
        slot_type = expected_type(IdSlot("mutation", field, (leaf,)))
        if slot_type == MASTER:
            return "1"
        type_name = "DispatchCase" if slot_type in (None, ANY) else slot_type
        return to_global_id(type_name, self.pk(type_name))


# ---------------------------------------------------------------- request generation

SCALARS: dict[str, Any] = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2025-06-10",
    "DateTime": "2025-06-11T10:00:00+09:00",
    "JSON": {},
}


def sample(
    type_: GraphQLInputType,
    path: tuple[str | int, ...],
    bad: str,
    subject: Subject,
    field: str,
    leaf: str,
) -> Any:
    """A value of ``type_``: required parts only, plus ``path`` leading to ``bad``."""
    type_ = _unwrap(type_)
    if isinstance(type_, GraphQLList):
        rest = path[1:] if path and path[0] == ITEM else ()
        return [sample(type_.of_type, rest, bad, subject, field, leaf)]
    if isinstance(type_, GraphQLScalarType):
        if type_.name == "ID":
            return bad if path == () and leaf == "*" else subject.valid_id(field, leaf)
        if type_.name == "Int" and leaf == "version":
            return subject.version
        assert type_.name in SCALARS, f"no sample value for scalar {type_.name}"
        return SCALARS[type_.name]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLInputObjectType), type_
    wanted = path[0] if path else None
    value: dict[str, Any] = {}
    for name, input_field in type_.fields.items():
        on_path = name == wanted
        if on_path:
            rest = path[1:]
            value[name] = sample(
                input_field.type, rest, bad, subject, field, "*" if _ends_here(rest) else name
            )
        elif is_required_input_field(input_field) and not type_.is_one_of:
            value[name] = sample(input_field.type, (), bad, subject, field, name)
    if type_.is_one_of and not value:
        name, input_field = next(iter(type_.fields.items()))
        value[name] = sample(input_field.type, (), bad, subject, field, name)
    return value


def _ends_here(rest: tuple[str | int, ...]) -> bool:
    return all(step == ITEM for step in rest)


def selection(type_: GraphQLOutputType) -> str:
    """What to ask of a result: its scalars, ``userErrors`` in full, ``__typename`` elsewhere."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if not isinstance(named, GraphQLObjectType):
        return "{ __typename }"
    parts = ["__typename"]
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if name == "userErrors":
            parts.append("userErrors { field code message }")
        elif is_leaf_type(inner):
            parts.append(name)
        else:
            parts.append(f"{name} {{ __typename }}")
    return "{ " + " ".join(parts) + " }"


@dataclass(frozen=True)
class Request:
    document: str
    variables: dict[str, Any]


def request_for(slot: IdSlot, bad: str, subject: Subject) -> Request:
    root = {
        "query": GRAPHQL.query_type,
        "mutation": GRAPHQL.mutation_type,
        "subscription": GRAPHQL.subscription_type,
    }[slot.operation]
    assert root is not None
    field: GraphQLField = root.fields[slot.field]
    definitions, arguments, variables = [], [], {}
    for arg_name, arg in field.args.items():
        on_path = arg_name == slot.path[0]
        if not on_path and not isinstance(arg.type, GraphQLNonNull):
            continue
        rest = slot.path[1:] if on_path else ()
        leaf = "*" if on_path and _ends_here(rest) else arg_name
        variables[arg_name] = sample(arg.type, rest, bad, subject, slot.field, leaf)
        definitions.append(f"${arg_name}: {arg.type}")
        arguments.append(f"{arg_name}: ${arg_name}")
    document = (
        f"{slot.operation} ({', '.join(definitions)}) "
        f"{{ {slot.field}({', '.join(arguments)}) {selection(field.type)} }}"
    )
    return Request(document, variables)


# ---------------------------------------------------------------- execution and verdicts

#: Monday 2 June 2025, 10:00 in Tokyo: the fixture world's cases are still ahead.
NOW = BASE


@dataclass(frozen=True)
class Reply:
    data: Any
    errors: list[dict[str, Any]]
    text: str

    @property
    def codes(self) -> list[Any]:
        return [(error.get("extensions") or {}).get("code") for error in self.errors]

    def user_errors(self, field: str) -> list[dict[str, Any]]:
        payload = (self.data or {}).get(field)
        if self.data == {"subscribed": True}:
            return []
        if isinstance(payload, dict):
            return list(payload.get("userErrors") or [])
        return []


async def run(principal: Principal, request: Request) -> Reply:
    context = Context(
        request=None,
        response=None,
        settings=current_settings(),
        principal=principal,
        request_id="req-id-fuzz",
    )
    context.loaders.now = NOW
    if request.document.startswith("subscription"):
        result = await first_event(request, context)
    else:
        result = await SCHEMA.execute(
            request.document, variable_values=request.variables, context_value=context
        )
    errors = [error.formatted for error in result.errors or []]
    text = json.dumps({"data": result.data, "errors": errors}, ensure_ascii=False, default=str)
    return Reply(result.data, errors, text)


async def first_event(request: Request, context: Context) -> ExecutionResult:
    """A subscription's first result; one still waiting for events after 5 s was accepted."""
    stream = await SCHEMA.subscribe(
        request.document, variable_values=request.variables, context_value=context
    )
    if isinstance(stream, ExecutionResult):
        return stream
    try:
        return await asyncio.wait_for(anext(stream), 5)
    except TimeoutError:
        return ExecutionResult(data={"subscribed": True}, errors=None)
    finally:
        await stream.aclose()


#: The roles every bad value is tried as: the national secretariat and two other parties.
ROLES = ("secretariat_national", "platform_o1_staff", "specialist_s1_user")


def refusal_problems(slot: IdSlot, reply: Reply) -> list[str]:
    """Why ``reply`` is not an expected refusal (empty when it is).

    A refusal is a top-level error with a code of api.md §10 other than the masked ones, or at
    least one ``userErrors`` entry; ``node``/``nodes`` answer ``null`` without an error.
    """
    problems = []
    for leak in ("Unexpected error", "Traceback", "INTERNAL", "SERVICE_UNAVAILABLE", "TIMEOUT"):
        if leak in reply.text:
            problems.append(f"leaks {leak!r}")
    for key in ("exception", "stacktrace"):
        if f'"{key}"' in reply.text:
            problems.append(f"carries {key!r}")
    odd_codes = [code for code in reply.codes if code not in REFUSAL_CODES]
    if odd_codes:
        problems.append(f"top-level codes {odd_codes}")
    if slot.field in NULL_FOR_UNKNOWN:
        value = (reply.data or {}).get(slot.field)
        if reply.errors or value not in (None, [None]):
            problems.append(f"{slot.field} answered {value!r} / {reply.codes}")
    elif not reply.errors and not reply.user_errors(slot.field):
        problems.append("accepted (no error, no userErrors)")
    return problems


def names_the_slot(slot: IdSlot, reply: Reply) -> bool:
    """The reply refuses the ID under test itself (its input path, an ID code)."""
    wanted = slot.user_error_path
    for error in reply.errors:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "BAD_USER_INPUT" and extensions.get("field") == wanted:
            return True
    return any(
        e.get("field") == wanted and e.get("code") in USER_ERROR_CODES
        for e in reply.user_errors(slot.field)
    )


@dataclass(frozen=True)
class Party:
    role: str
    principal: Principal
    subject: Subject


async def candidate_subjects(world: World) -> list[Subject]:
    """The world's cases plus S1 cases ready for a report and for a check-out at ``NOW``."""
    unreported = await make_dispatched_case(world, NOW - timedelta(hours=3), version=1)
    on_site = await make_dispatched_case(world, NOW - timedelta(minutes=30), version=1)
    s1 = await UserAccount.get(id=world.specialist_s1_user.account_id)
    await make_check_event(on_site, s1, CheckKind.CHECK_IN, NOW - timedelta(minutes=30))
    base = Subject.of(world)
    ids = [unreported.id, on_site.id, *sorted(world.case_ids)]
    versions = dict(await DispatchCase.filter(id__in=ids).values_list("id", "version"))
    return [base.with_case(pk, int(versions[pk])) for pk in ids]  # type: ignore[call-overload]


async def reaching_party(slot: IdSlot, world: World) -> Party | None:
    """A role and subject for which ``slot``'s ID is actually examined (not refused earlier)."""
    for subject in await candidate_subjects(world):
        for role, principal in world.principals().items():
            reply = await run(principal, request_for(slot, "abc", subject))
            if names_the_slot(slot, reply):
                return Party(role, principal, subject)
    return None


@pytest.fixture
def error_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


def foreign_id(slot: IdSlot, subject: Subject) -> str:
    """An ID of another type that names an existing row of the expected type."""
    expected = expected_type(slot)
    assert expected not in (None, ANY)
    if expected == MASTER:
        return to_global_id("DeclineReason", 1)
    other = "Company" if expected != "Company" else "DispatchCase"
    return to_global_id(other, subject.pk(expected))


# ---------------------------------------------------------------- tests


def test_the_walk_finds_the_ids_of_queries_mutations_and_nested_inputs() -> None:
    names = {slot.name for slot in SLOTS}
    assert {
        "node(id)",
        "nodes(ids[])",
        "cases(filter.companyId)",
        "caseCreate(input.issueCategoryIds[])",
        "specialistProfileUpdate(input.qualifications[].qualificationId)",
        "outboxRequeue(input.ids[])",
    } <= names
    assert len(SLOTS) >= 60
    assert "caseUpdated(id)" in names
    assert {slot.operation for slot in SLOTS} == {"query", "mutation", "subscription"}


def test_every_id_position_names_the_type_it_expects() -> None:
    unknown = sorted(slot.name for slot in SLOTS if expected_type(slot) is None)
    assert unknown == [], "add the new ID positions to ID_TYPES / ROOT_ID_TYPES"


def test_the_generated_requests_are_valid_graphql() -> None:
    subject = Subject({})
    for slot in SLOTS:
        request = request_for(slot, "abc", subject)
        assert validate(GRAPHQL, parse(request.document)) == [], slot.name


@pytest.mark.parametrize("slot", SLOTS, ids=lambda slot: slot.name)
async def test_a_bad_id_is_refused_never_an_unexpected_error(
    db: str, slot: IdSlot, error_logs: pytest.LogCaptureFixture
) -> None:
    # given the fixture world and a party whose request reaches this ID
    world = await build_world()
    party = await reaching_party(slot, world)
    if slot.field not in NULL_FOR_UNKNOWN:
        assert party is not None, "no role and case lets the request reach this ID"
    parties = [Party(role, world.principals()[role], Subject.of(world)) for role in ROLES]
    failures = []
    # when every bad value goes into this position
    for bad in BAD_IDS:
        if party is not None:
            reply = await run(party.principal, request_for(slot, bad, party.subject))
            if not names_the_slot(slot, reply):
                failures.append(f"{party.role} {bad[:40]!r}: not refused as this ID {reply.text}")
        for other in parties:
            reply = await run(other.principal, request_for(slot, bad, other.subject))
            problems = refusal_problems(slot, reply)
            if problems:
                failures.append(f"{other.role} {bad[:40]!r}: {problems} {reply.text[:400]}")
    # then each reply is an expected refusal, and nothing was logged as an error
    assert failures == []
    assert_no_error_logged(error_logs)


@pytest.mark.parametrize(
    "slot", [s for s in SLOTS if expected_type(s) != ANY], ids=lambda slot: slot.name
)
async def test_an_id_of_another_type_is_refused(
    db: str, slot: IdSlot, error_logs: pytest.LogCaptureFixture
) -> None:
    # given a party whose request reaches this ID
    world = await build_world()
    party = await reaching_party(slot, world)
    assert party is not None
    # when the ID names an existing row of the expected type under another type's name
    reply = await run(
        party.principal, request_for(slot, foreign_id(slot, party.subject), party.subject)
    )
    # then it is refused as this ID
    assert names_the_slot(slot, reply), reply.text
    assert refusal_problems(slot, reply) == []
    assert_no_error_logged(error_logs)


@pytest.mark.parametrize(
    "slot", [s for s in SLOTS if expected_type(s) != ANY], ids=lambda slot: slot.name
)
async def test_an_id_of_no_row_is_refused_by_mutations_and_harmless_in_filters(
    db: str, slot: IdSlot, error_logs: pytest.LogCaptureFixture
) -> None:
    # given a party whose request reaches this ID
    world = await build_world()
    party = await reaching_party(slot, world)
    assert party is not None
    expected = expected_type(slot)
    missing = "2147483647" if expected == MASTER else to_global_id(str(expected), 2_147_483_647)
    # when the ID is well-formed and of the right type but names no row
    reply = await run(party.principal, request_for(slot, missing, party.subject))
    # then a mutation or subscription refuses it; a query filter simply matches nothing
    problems = refusal_problems(slot, reply)
    if slot.operation == "query":
        problems = [p for p in problems if not p.startswith("accepted")]
    assert problems == [], reply.text
    assert_no_error_logged(error_logs)


async def test_node_of_another_type_is_null_never_the_row(db: str) -> None:
    # given an existing case
    world = await build_world()
    pk = world.case_s1_c1
    ids = [to_global_id(name, pk) for name in ("Company", "Specialist", "Evaluation", "Report")]
    ids += [to_global_id(name, pk) for name in ("DispatchCaseX", "UserAccount", "CaseEvent")]
    # when it is asked for under other type names
    request = Request("query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids})
    reply = await run(world.secretariat_national, request)
    # then no answer is the case
    assert reply.errors == []
    nodes = reply.data["nodes"]
    assert all(node is None or node["__typename"] != "DispatchCase" for node in nodes)
    assert all(node is None or node["id"] in ids for node in nodes)
