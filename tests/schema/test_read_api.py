"""Read API happy paths per role, through the GraphQL schema (api.md §1–§9, domain.md §11)."""

from __future__ import annotations

import re
from typing import Any

import strawberry

from auth.principal import Principal
from models.rules.case_status import CaseStatus
from models.settings import current_settings
from schema.context import Context
from schema.query import Query
from schema.relay import to_global_id
from tests.factories import build_world

SCHEMA = strawberry.Schema(query=Query)


async def run(principal: Principal, query: str, **variables: Any) -> dict[str, Any]:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


CASE_DETAIL = """
query ($id: ID!) {
  node(id: $id) {
    __typename
    ... on DispatchCase {
      id reservationNumber fiscalYear receivedAt title description status version
      location { name address lat lng }
      dispatchStart dispatchEnd
      candidateSlots { start end position }
      proposedSlots { position }
      company { name }
      specialist { name bankAccount { accountNumber masked } }
      filedBy { name }
      filingOrganization { name }
      platform { name }
      office { name email }
      issueCategories { name }
      declineReason { name }
      declineReasonText
      declineComment
      cancelCategory { name }
      evaluated
      availableActions
      history { action fromStatus toStatus secretPayload actor { name } }
      checkEvents { kind serverTime lat lng }
      report {
        supportContent1
        travel { totalAmount lines { mode oneWayFare amount } }
      }
      evaluations { evaluatorKind comment }
      payment { state honorarium total }
      documents { kind filename }
    }
  }
}
"""


async def test_viewer_shows_the_signed_in_specialist_and_null_when_anonymous(db: str) -> None:
    # given
    world = await build_world()
    query = "{ viewer { name role specialist { name } company { name } office { name } } }"
    # when
    signed_in = await run(world.specialist_s1_user, query)
    anonymous = await run(world.anonymous, query)
    # then
    assert signed_in["viewer"] == {
        "name": "山田太郎",
        "role": "SPECIALIST",
        "specialist": {"name": "山田太郎"},
        "company": None,
        "office": None,
    }
    assert anonymous["viewer"] is None


async def test_secretariat_reads_a_case_with_every_edge(db: str) -> None:
    # given
    world = await build_world()
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    # when
    data = await run(world.secretariat_kanto, CASE_DETAIL, id=case_id)
    # then
    case = data["node"]
    assert case["__typename"] == "DispatchCase"
    assert case["id"] == case_id
    assert case["status"] == "REPORTED"
    assert case["location"]["name"] == "本社"
    assert case["company"] == {"name": "株式会社東京製作所"}
    assert case["specialist"]["name"] == "山田太郎"
    assert case["specialist"]["bankAccount"] == {"accountNumber": "1234567", "masked": False}
    assert case["filedBy"] == {"name": "O1 職員"}
    assert case["filingOrganization"] == {"name": "東京よろず支援拠点"}
    assert case["platform"] == {"name": "東京都地域プラットフォーム"}
    assert case["office"]["name"] == "関東事務局"
    assert len(case["candidateSlots"]) == 1
    assert [c["kind"] for c in case["checkEvents"]] == ["CHECK_IN", "CHECK_OUT"]
    assert case["checkEvents"][0]["lat"] == 35.681
    assert case["report"]["travel"]["totalAmount"] == 880
    assert case["report"]["travel"]["lines"] == [{"mode": "RAIL", "oneWayFare": 440, "amount": 880}]
    assert case["evaluations"] == [{"evaluatorKind": "PLATFORM", "comment": "大変参考になった"}]
    # computed on read (issue 4): the report is not accepted yet and S1 has no ACTIVE commission
    assert case["payment"] == {"state": "HELD", "honorarium": 10560, "total": 10362}
    assert case["documents"] == [{"kind": "FORM8", "filename": "form8.pdf"}]
    assert "ACCEPT_REPORT" in case["availableActions"]


async def test_company_reads_its_case_without_money_gps_or_bank_account(db: str) -> None:
    # given
    world = await build_world()
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    # when
    data = await run(world.company_c1_user, CASE_DETAIL, id=case_id)
    # then
    case = data["node"]
    assert case["title"] == "販路開拓の相談"
    assert case["specialist"] == {"name": "山田太郎", "bankAccount": None}
    assert case["payment"] is None
    assert case["report"]["supportContent1"] == "販路開拓の手法を助言した"
    assert case["report"]["travel"] is None
    assert all(c["lat"] is None and c["lng"] is None for c in case["checkEvents"])
    assert case["checkEvents"][0]["serverTime"] is not None
    assert "EVALUATE" in case["availableActions"]


async def test_platform_staff_sees_the_bank_account_masked(db: str) -> None:
    # given
    world = await build_world()
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    # when
    data = await run(world.platform_o1_staff, CASE_DETAIL, id=case_id)
    # then
    bank = data["node"]["specialist"]["bankAccount"]
    assert bank == {"accountNumber": "****567", "masked": True}
    assert data["node"]["payment"]["total"] == 10362


async def test_decline_text_and_secret_history_only_for_the_specialist_and_secretariat(
    db: str,
) -> None:
    # given
    world = await build_world()
    case_id = to_global_id("DispatchCase", world.case_s2_c2)
    query = "query ($id: ID!) { node(id: $id) { ... on DispatchCase { declineReasonText "
    query += "declineReason { name } declineComment history { secretPayload } } } }"
    # when
    secretariat = (await run(world.secretariat_kinki, query, id=case_id))["node"]
    specialist = (await run(world.specialist_s2_user, query, id=case_id))["node"]
    platform = (await run(world.platform_o2_staff, query, id=case_id))["node"]
    company = (await run(world.company_c2_user, query, id=case_id))["node"]
    # then
    assert secretariat["declineReasonText"] == world.s2_decline_text
    assert secretariat["history"][0]["secretPayload"] == {
        "decline_reason_text": world.s2_decline_text
    }
    assert specialist["declineReasonText"] == world.s2_decline_text
    for viewer in (platform, company):
        assert viewer["declineReasonText"] is None
        assert viewer["declineReason"] == {"name": "日程が合わない"}
        assert viewer["history"][0]["secretPayload"] is None
        assert world.s2_decline_text not in str(viewer)


async def test_status_is_derived_on_read(db: str) -> None:
    # given: case_s2_c1 is stored CONFIRMED, its dispatch ended in 2025; case_s1_c2_r1 is
    # UNPROCESSED with its only candidate slot in the past
    world = await build_world()
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on DispatchCase { status "
    query += "availableActions } } }"
    ids = [
        to_global_id("DispatchCase", world.case_s2_c1),
        to_global_id("DispatchCase", world.case_s1_c2_r1),
    ]
    # when
    data = await run(world.secretariat_national, query, ids=ids)
    # then
    confirmed, unprocessed = data["nodes"]
    assert confirmed["status"] == CaseStatus.UNREPORTED.value
    assert unprocessed["status"] == CaseStatus.NEEDS_COORDINATION.value
    assert confirmed["availableActions"] == ["CANCEL"]
    assert unprocessed["availableActions"] == ["SCHEDULE", "WITHDRAW"]


async def test_available_actions_follow_the_viewer(db: str) -> None:
    # given: case_s2_c1 reads UNREPORTED; its specialist may save and submit the report
    world = await build_world()
    query = "query ($id: ID!) { node(id: $id) { ... on DispatchCase { availableActions } } }"
    case_id = to_global_id("DispatchCase", world.case_s2_c1)
    # when
    specialist = await run(world.specialist_s2_user, query, id=case_id)
    company = await run(world.company_c1_user, query, id=case_id)
    # then
    assert "SUBMIT_REPORT" in specialist["node"]["availableActions"]
    assert "CHECK_IN" in specialist["node"]["availableActions"]
    assert company["node"]["availableActions"] == []


async def test_cases_connection_pages_by_keyset_with_total_count(db: str) -> None:
    # given
    world = await build_world()
    query = """
    query ($after: String) {
      cases(first: 2, after: $after, orderBy: {field: RECEIVED_AT, direction: ASC}) {
        totalCount
        edges { cursor node { title } }
        nodes { title }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
    """
    # when
    first = (await run(world.secretariat_national, query))["cases"]
    second = (await run(world.secretariat_national, query, after=first["pageInfo"]["endCursor"]))[
        "cases"
    ]
    # then
    assert first["totalCount"] == 4
    assert [n["title"] for n in first["nodes"]] == ["販路開拓の相談", "資金繰りの改善"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["edges"][1]["cursor"] == first["pageInfo"]["endCursor"]
    assert [n["title"] for n in second["nodes"]] == ["IT導入の相談", "事業承継の相談"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True


async def test_cases_are_scoped_per_role(db: str) -> None:
    # given
    world = await build_world()
    query = "{ cases(first: 100) { totalCount nodes { title } } }"
    # when
    counts = {
        name: (await run(principal, query))["cases"]["totalCount"]
        for name, principal in world.principals().items()
        if principal.authenticated
    }
    # then
    assert counts["secretariat_national"] == 4
    assert counts["secretariat_kanto"] == 2
    assert counts["secretariat_kinki"] == 2
    assert counts["specialist_s1_user"] == 2
    assert counts["company_c1_user"] == 2
    assert counts["platform_o1_staff"] == 2
    assert counts["platform_r1_coordinator"] == 3
    assert counts["specialist_s3_user"] == 0


async def test_case_filter_by_specialist_id_and_status(db: str) -> None:
    # given
    world = await build_world()
    query = """
    query ($filter: CaseFilter) { cases(filter: $filter) { totalCount nodes { title status } } }
    """
    specialist_id = to_global_id("Specialist", world.specialist_s1)
    # when
    by_specialist = await run(
        world.secretariat_national, query, filter={"specialistId": specialist_id}
    )
    by_status = await run(world.secretariat_national, query, filter={"statuses": ["UNREPORTED"]})
    # then
    assert by_specialist["cases"]["totalCount"] == 2
    assert by_status["cases"]["nodes"] == [{"title": "IT導入の相談", "status": "UNREPORTED"}]


async def test_case_status_counts_include_every_status(db: str) -> None:
    # given
    world = await build_world()
    # when
    data = await run(world.secretariat_national, "{ caseStatusCounts { status count } }")
    # then
    counts = {row["status"]: row["count"] for row in data["caseStatusCounts"]}
    assert list(counts) == [s.value for s in CaseStatus]
    assert counts["REPORTED"] == 1
    assert counts["UNREPORTED"] == 1
    assert counts["NEEDS_COORDINATION"] == 1
    assert counts["DECLINED"] == 1
    assert counts["CONFIRMED"] == 0


async def test_company_sees_only_displayed_profile_items(db: str) -> None:
    # given: S1 shows every item by default; hide career and industries from companies
    world = await build_world()
    from models.specialists import Specialist

    await Specialist.filter(id=world.specialist_s1).update(display_items=["AREAS"])
    query = """
    query ($id: ID!) { node(id: $id) { ... on Specialist {
      name career industries { name } areas { name } qualifications { otherName }
      evaluationSummary { count } bankAccount { accountNumber } email
    } } }
    """
    specialist_id = to_global_id("Specialist", world.specialist_s1)
    # when
    company = (await run(world.company_c1_user, query, id=specialist_id))["node"]
    platform = (await run(world.platform_o1_staff, query, id=specialist_id))["node"]
    # then
    assert company["career"] is None
    assert company["industries"] == []
    assert company["areas"] == [{"name": "東京都"}]
    assert company["evaluationSummary"] is None
    assert company["bankAccount"] is None
    assert company["email"] == ""
    assert platform["career"] == "経歴の説明"
    assert platform["industries"] == [{"name": "製造業"}]
    assert platform["evaluationSummary"] == {"count": 1}


async def test_specialist_search_and_reference_lists(db: str) -> None:
    # given
    world = await build_world()
    query = """
    {
      specialists(first: 10, filter: {name: "山田"}) { totalCount nodes { name nameKana } }
      companies(first: 10) { totalCount }
      supportOrganizations(first: 10) { totalCount nodes { name suspensionReason } }
      regionalPlatforms { name prefecture { name } }
      regionalOffices { name prefectures { name } }
      prefectures { name code office { name } }
      issueCategories { name isIt }
      qualifications { name }
      industries { name }
      declineReasons { name }
      cancelCategories { name }
      fiscalYearConfigs { year pricePer30min dailyCap }
    }
    """
    # when
    data = await run(world.platform_o1_staff, query)
    # then
    assert data["specialists"] == {
        "totalCount": 1,
        "nodes": [{"name": "山田太郎", "nameKana": "ヤマダタロウ"}],
    }
    assert data["supportOrganizations"]["totalCount"] == 3
    assert all(o["suspensionReason"] is None for o in data["supportOrganizations"]["nodes"])
    assert {p["name"] for p in data["regionalPlatforms"]} == {
        "東京都地域プラットフォーム",
        "大阪府地域プラットフォーム",
    }
    assert data["prefectures"][0] == {
        "name": "東京都",
        "code": 13,
        "office": {"name": "関東事務局"},
    }
    assert {o["name"]: o["prefectures"] for o in data["regionalOffices"]}["近畿事務局"] == [
        {"name": "大阪府"}
    ]
    assert [c["name"] for c in data["declineReasons"]] == ["日程が合わない"]
    assert [c["name"] for c in data["cancelCategories"]] == ["企業都合"]
    assert data["fiscalYearConfigs"] == [{"year": 2025, "pricePer30min": 2640, "dailyCap": 31680}]


def _described_elements() -> list[tuple[str, str | None]]:
    graphql_schema = SCHEMA._schema
    found: list[tuple[str, str | None]] = []
    for name, named in graphql_schema.type_map.items():
        if name.startswith("__"):
            continue
        found.append((name, named.description))
        for field_name, field in (getattr(named, "fields", None) or {}).items():
            found.append((f"{name}.{field_name}", field.description))
            for arg_name, arg in (getattr(field, "args", None) or {}).items():
                found.append((f"{name}.{field_name}({arg_name})", arg.description))
        for value_name, value in (getattr(named, "values", None) or {}).items():
            found.append((f"{name}.{value_name}", value.description))
    return found


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = [name for name, description in _described_elements() if not description]
    assert missing == []


def test_no_money_field_is_a_float() -> None:
    money = re.compile(r"amount|honorar|fare|total|rate|price|withholding|travel", re.I)
    floats = [
        f"{name}.{field_name}"
        for name, named in SCHEMA._schema.type_map.items()
        for field_name, field in (getattr(named, "fields", None) or {}).items()
        if money.search(field_name) and "Float" in str(field.type)
    ]
    assert floats == []
