"""The registration table and the profile rules (domain.md §3, seed 002), table-driven."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from auth.scoping import PROFILE_ITEMS
from models.rules.dispatchability import CommissionFacts
from models.rules.errors import ErrorCode, TransitionNotAllowed
from models.rules.registration import (
    EXIT_STATES,
    MAX_HOLIDAYS,
    TRANSITIONS,
    BankAccountData,
    DisplayItem,
    ProfileFacts,
    QualificationFacts,
    ReasonRule,
    RegistrationAction,
    RegistrationActionNotAllowed,
    RegistrationActor,
    RegistrationFacts,
    available_registration_actions,
    commission_year_errors,
    days_off_errors,
    email_errors,
    find_registration_transition,
    free_range_errors,
    holiday_dates,
    hours_errors,
    kana_errors,
    min_evaluation_errors,
    normalize_kana,
    normalize_postal_code,
    password_errors,
    phone_errors,
    postal_code_errors,
    profile_edit_errors,
    reason_errors,
    registration_document,
    settings_edit_errors,
    submission_errors,
    suspension_errors,
    validate_bank_account,
)
from models.rules.registration_status import Basis
from models.rules.registration_status import RegistrationStatus as S

A = RegistrationAction
ACT = RegistrationActor
SPEC, ORG, SEC = ACT.SPECIALIST, ACT.ORGANIZATION, ACT.SECRETARIAT

# ---------------------------------------------------------------- the state machine

#: Every effective state, as the facts that produce it (TERMS_ACCEPTED twice: before and after
#: the letter of commission).
STATES: dict[str, RegistrationFacts] = {
    "DRAFT": RegistrationFacts(S.DRAFT),
    "PENDING_ORG_APPROVAL": RegistrationFacts(S.PENDING_ORG_APPROVAL),
    "PENDING_SECRETARIAT_APPROVAL": RegistrationFacts(S.PENDING_SECRETARIAT_APPROVAL),
    "REGISTERED": RegistrationFacts(S.REGISTERED),
    "REGISTERED_EMPTY_COMMISSION": RegistrationFacts(S.REGISTERED, CommissionFacts()),
    "TERMS_ACCEPTED": RegistrationFacts(S.REGISTERED, CommissionFacts(terms_accepted=True)),
    "LETTER_ISSUED": RegistrationFacts(
        S.REGISTERED, CommissionFacts(terms_accepted=True, letter_issued=True)
    ),
    "ACTIVE": RegistrationFacts(
        S.REGISTERED,
        CommissionFacts(terms_accepted=True, letter_issued=True, acceptance_received=True),
    ),
    "REJECTED": RegistrationFacts(S.REJECTED),
    "REVOKED": RegistrationFacts(S.REVOKED, CommissionFacts(terms_accepted=True)),
    "WITHDRAWN": RegistrationFacts(S.WITHDRAWN),
}

OPEN = (
    "DRAFT",
    "PENDING_ORG_APPROVAL",
    "PENDING_SECRETARIAT_APPROVAL",
    "REGISTERED",
    "REGISTERED_EMPTY_COMMISSION",
    "TERMS_ACCEPTED",
    "LETTER_ISSUED",
    "ACTIVE",
)

#: action → (actor, states it is allowed in, effective state after, stored status after).
EXPECTED: dict[RegistrationAction, tuple[RegistrationActor, tuple[str, ...], S | None, S | None]] = {
    A.SUBMIT: (SPEC, ("DRAFT",), S.PENDING_ORG_APPROVAL, S.PENDING_ORG_APPROVAL),
    A.APPROVE_BY_ORGANIZATION: (
        ORG, ("PENDING_ORG_APPROVAL",), S.PENDING_SECRETARIAT_APPROVAL,
        S.PENDING_SECRETARIAT_APPROVAL,
    ),
    A.REJECT_BY_ORGANIZATION: (ORG, ("PENDING_ORG_APPROVAL",), S.DRAFT, S.DRAFT),
    A.APPROVE_BY_SECRETARIAT: (
        SEC, ("PENDING_SECRETARIAT_APPROVAL",), S.REGISTERED, S.REGISTERED,
    ),
    A.RETURN: (SEC, ("PENDING_SECRETARIAT_APPROVAL",), S.DRAFT, S.DRAFT),
    A.REJECT: (SEC, ("PENDING_SECRETARIAT_APPROVAL",), S.REJECTED, S.REJECTED),
    A.ACCEPT_TERMS: (
        SPEC, ("REGISTERED", "REGISTERED_EMPTY_COMMISSION"), S.TERMS_ACCEPTED, S.REGISTERED,
    ),
    A.ISSUE_LETTER: (SEC, ("TERMS_ACCEPTED",), None, S.REGISTERED),
    A.SUBMIT_ACCEPTANCE: (SPEC, ("LETTER_ISSUED",), S.ACTIVE, S.REGISTERED),
    A.REVOKE: (SEC, OPEN, S.REVOKED, S.REVOKED),
    A.WITHDRAW: (SPEC, OPEN, S.WITHDRAWN, S.WITHDRAWN),
}  # fmt: skip

ACTOR_SETS = [
    frozenset(),
    frozenset({SPEC}),
    frozenset({ORG}),
    frozenset({SEC}),
    frozenset({ORG, SEC}),
    frozenset(ACT),
]


def test_the_expectations_cover_every_action_and_every_row() -> None:
    assert set(EXPECTED) == set(RegistrationAction)
    assert {row.action for row in TRANSITIONS} == set(RegistrationAction)
    assert len(TRANSITIONS) == len(RegistrationAction)


def test_the_state_table_covers_every_registration_state() -> None:
    assert {facts.effective for facts in STATES.values()} == set(S)


@pytest.mark.parametrize("action", list(RegistrationAction))
@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("actors", ACTOR_SETS, ids=lambda a: "+".join(sorted(a)) or "nobody")
def test_every_action_in_every_state_for_every_actor(
    action: RegistrationAction, state: str, actors: frozenset[RegistrationActor]
) -> None:
    actor, allowed_in, to_state, stored_after = EXPECTED[action]
    facts = STATES[state]
    allowed = state in allowed_in and actor in actors
    if allowed:
        row = find_registration_transition(action, facts, actors)
        assert row.actor is actor
        assert row.to_state is to_state
        assert row.stored_status_after(facts.status) is stored_after
        assert action in available_registration_actions(facts, actors)
    else:
        with pytest.raises(RegistrationActionNotAllowed) as refused:
            find_registration_transition(action, facts, actors)
        assert refused.value.code is ErrorCode.TRANSITION_NOT_ALLOWED
        assert refused.value.state is facts.effective
        assert action not in available_registration_actions(facts, actors)
        assert list(refused.value.allowed) == available_registration_actions(facts, actors)


@pytest.mark.parametrize(
    "state,actors,allowed",
    [
        ("DRAFT", {SPEC}, [A.SUBMIT, A.WITHDRAW]),
        ("DRAFT", {SEC}, [A.REVOKE]),
        ("DRAFT", {ORG}, []),
        ("PENDING_ORG_APPROVAL", {ORG}, [A.APPROVE_BY_ORGANIZATION, A.REJECT_BY_ORGANIZATION]),
        ("PENDING_ORG_APPROVAL", {SPEC}, [A.WITHDRAW]),
        ("PENDING_SECRETARIAT_APPROVAL", {SEC}, [A.APPROVE_BY_SECRETARIAT, A.RETURN, A.REJECT, A.REVOKE]),
        ("PENDING_SECRETARIAT_APPROVAL", {ORG}, []),
        ("REGISTERED", {SPEC}, [A.ACCEPT_TERMS, A.WITHDRAW]),
        ("TERMS_ACCEPTED", {SEC}, [A.ISSUE_LETTER, A.REVOKE]),
        ("TERMS_ACCEPTED", {SPEC}, [A.WITHDRAW]),
        ("LETTER_ISSUED", {SPEC}, [A.SUBMIT_ACCEPTANCE, A.WITHDRAW]),
        ("LETTER_ISSUED", {SEC}, [A.REVOKE]),
        ("ACTIVE", {SPEC, SEC}, [A.REVOKE, A.WITHDRAW]),
        ("REJECTED", set(ACT), []),
        ("REVOKED", set(ACT), []),
        ("WITHDRAWN", set(ACT), []),
    ],
)  # fmt: skip
def test_available_actions_in_declaration_order(
    state: str, actors: set[RegistrationActor], allowed: list[RegistrationAction]
) -> None:
    assert available_registration_actions(STATES[state], actors) == allowed


def test_approving_twice_names_what_is_allowed_now() -> None:
    facts = STATES["PENDING_SECRETARIAT_APPROVAL"]
    with pytest.raises(TransitionNotAllowed) as refused:
        find_registration_transition(A.APPROVE_BY_ORGANIZATION, facts, {ORG, SEC})
    message = refused.value.message
    assert "事務局承認待ち" in message
    assert "事務局による承認（本登録）" in message and "事務局による差戻し" in message


def test_skipping_a_step_is_refused_without_allowed_actions_for_that_actor() -> None:
    with pytest.raises(RegistrationActionNotAllowed) as refused:
        find_registration_transition(
            A.APPROVE_BY_SECRETARIAT, STATES["PENDING_ORG_APPROVAL"], {SEC}
        )
    assert refused.value.allowed == (A.REVOKE,)
    with pytest.raises(RegistrationActionNotAllowed) as refused:
        find_registration_transition(A.SUBMIT_ACCEPTANCE, STATES["TERMS_ACCEPTED"], {SPEC})
    assert refused.value.allowed == (A.WITHDRAW,)
    assert "可能な操作: 登録辞退" in refused.value.message


@pytest.mark.parametrize(
    "action,rule",
    [
        (A.REJECT_BY_ORGANIZATION, ReasonRule.REQUIRED),
        (A.RETURN, ReasonRule.REQUIRED),
        (A.REJECT, ReasonRule.REQUIRED),
        (A.REVOKE, ReasonRule.REQUIRED),
        (A.WITHDRAW, ReasonRule.OPTIONAL),
        (A.SUBMIT, ReasonRule.NONE),
        (A.APPROVE_BY_SECRETARIAT, ReasonRule.NONE),
    ],
)
def test_reason_rules_per_row(action: RegistrationAction, rule: ReasonRule) -> None:
    assert next(row for row in TRANSITIONS if row.action is action).reason is rule


def test_commission_steps_leave_the_stored_status_alone() -> None:
    steps = {row.action for row in TRANSITIONS if row.commission_step}
    assert steps == {A.ACCEPT_TERMS, A.ISSUE_LETTER, A.SUBMIT_ACCEPTANCE}


def test_exits_are_terminal() -> None:
    for state in EXIT_STATES:
        assert available_registration_actions(RegistrationFacts(state), set(ACT)) == []


def test_registration_document_is_json() -> None:
    document = registration_document()
    text = json.dumps(document, ensure_ascii=False)
    assert "APPROVE_BY_ORGANIZATION" in text
    assert len(document["transitions"]) == len(TRANSITIONS)  # type: ignore[arg-type]


def test_display_items_match_the_scoping_masks() -> None:
    assert {item.value for item in DisplayItem} == PROFILE_ITEMS


# ---------------------------------------------------------------- reasons and text


@pytest.mark.parametrize(
    "reason,rule,code",
    [
        ("書類不備", ReasonRule.REQUIRED, None),
        ("", ReasonRule.REQUIRED, ErrorCode.REQUIRED),
        ("   ", ReasonRule.REQUIRED, ErrorCode.REQUIRED),
        (None, ReasonRule.REQUIRED, ErrorCode.REQUIRED),
        (None, ReasonRule.OPTIONAL, None),
        ("", ReasonRule.NONE, None),
        ("あ" * 2001, ReasonRule.REQUIRED, ErrorCode.TOO_LONG),
        ("あ" * 2001, ReasonRule.OPTIONAL, ErrorCode.TOO_LONG),
    ],
)
def test_reason_errors(reason: str | None, rule: ReasonRule, code: ErrorCode | None) -> None:
    errors = reason_errors(reason, rule, ("input", "reason"))
    assert [e.code for e in errors] == ([code] if code else [])
    assert all(e.field == ("input", "reason") for e in errors)


@pytest.mark.parametrize(
    "value,code,normalized",
    [
        ("ヤマダ　タロウ", None, "ヤマダ　タロウ"),
        ("ヤマダ タロウ", None, "ヤマダ　タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", None, "ヤマダ　タロウ"),
        ("  サトウ  ジロー ", None, "サトウ　ジロー"),
        ("ジョン・スミス", None, "ジョン・スミス"),
        ("ヴァン", None, "ヴァン"),
        ("", ErrorCode.REQUIRED, ""),
        ("　", ErrorCode.REQUIRED, ""),
        ("やまだ", ErrorCode.NOT_KATAKANA, "やまだ"),
        ("山田太郎", ErrorCode.NOT_KATAKANA, "山田太郎"),
        ("YAMADA", ErrorCode.NOT_KATAKANA, "YAMADA"),
        ("ヤマダ1", ErrorCode.NOT_KATAKANA, "ヤマダ1"),
        ("ーー", ErrorCode.NOT_KATAKANA, "ーー"),
        ("ア" * 65, ErrorCode.TOO_LONG, "ア" * 65),
    ],
)
def test_kana(value: str, code: ErrorCode | None, normalized: str) -> None:
    assert normalize_kana(value) == normalized
    errors = kana_errors(value, ("input", "nameKana"), "氏名（カナ）")
    assert [e.code for e in errors] == ([code] if code else [])


@pytest.mark.parametrize(
    "value,code",
    [
        ("taro@example.jp", None),
        ("", ErrorCode.REQUIRED),
        ("taro", ErrorCode.INVALID),
        ("taro@example", ErrorCode.INVALID),
        ("a b@example.jp", ErrorCode.INVALID),
        ("a@@example.jp", ErrorCode.INVALID),
        ("a" * 250 + "@example.jp", ErrorCode.TOO_LONG),
    ],
)
def test_email(value: str, code: ErrorCode | None) -> None:
    assert [e.code for e in email_errors(value, ("input", "email"))] == ([code] if code else [])


@pytest.mark.parametrize(
    "password,code",
    [
        ("correct horse battery", None),
        ("short", ErrorCode.TOO_SHORT),
        ("x" * 9, ErrorCode.TOO_SHORT),
        ("x" * 10, None),
        ("x" * 257, ErrorCode.TOO_LONG),
        ("taro@example.jp", ErrorCode.INVALID),
        ("TARO@EXAMPLE.JP", ErrorCode.INVALID),
    ],
)
def test_password(password: str, code: ErrorCode | None) -> None:
    errors = password_errors(password, "taro@example.jp", ("input", "password"))
    assert [e.code for e in errors] == ([code] if code else [])


@pytest.mark.parametrize(
    "value,ok",
    [
        ("", True),
        ("03-1234-5678", True),
        ("0312345678", True),
        ("090-1234-5678", True),
        ("０３－１２３４－５６７８", True),
        ("1234567890", False),
        ("03-1234-567", False),
        ("abc", False),
        ("090-1234-56789", False),
    ],
)
def test_phone(value: str, ok: bool) -> None:
    assert (phone_errors(value, ("input", "phone")) == []) is ok


@pytest.mark.parametrize(
    "value,normalized,ok",
    [
        ("100-0001", "100-0001", True),
        ("1000001", "100-0001", True),
        ("１００－０００１", "100-0001", True),
        ("", "", True),
        ("100-001", "100-001", False),
        ("abc-defg", "abc-defg", False),
    ],
)
def test_postal_code(value: str, normalized: str, ok: bool) -> None:
    assert normalize_postal_code(value) == normalized
    assert (postal_code_errors(value, ("input", "postalCode")) == []) is ok


# ---------------------------------------------------------------- bank account

GOOD = BankAccountData(
    bank_code="0001",
    bank_name="みずほ銀行",
    branch_code="001",
    branch_name="東京営業部",
    account_type="ORDINARY",
    account_number="1234567",
    holder_kana="ヤマダ　タロウ",
)
BANK = ("input", "bankAccount")


def _bank(**changes: str) -> BankAccountData:
    values = {**GOOD.__dict__, **changes}
    return BankAccountData(**values)


@pytest.mark.parametrize(
    "changes,problems",
    [
        ({}, []),
        ({"account_type": "CURRENT"}, []),
        ({"bank_code": "０００１", "account_number": "１２３４５６７"}, []),
        ({"holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}, []),
        ({"holder_kana": "ヤマダタロウ"}, []),
        ({"bank_code": "001"}, [("bankCode", ErrorCode.INVALID)]),
        ({"bank_code": "00001"}, [("bankCode", ErrorCode.INVALID)]),
        ({"bank_code": "00a1"}, [("bankCode", ErrorCode.INVALID)]),
        ({"bank_code": ""}, [("bankCode", ErrorCode.REQUIRED)]),
        ({"branch_code": "01"}, [("branchCode", ErrorCode.INVALID)]),
        ({"branch_code": "0001"}, [("branchCode", ErrorCode.INVALID)]),
        ({"account_number": "123456"}, [("accountNumber", ErrorCode.INVALID)]),
        ({"account_number": "12345678"}, [("accountNumber", ErrorCode.INVALID)]),
        ({"account_number": "123-4567"}, [("accountNumber", ErrorCode.INVALID)]),
        ({"account_type": "SAVINGS"}, [("accountType", ErrorCode.INVALID)]),
        ({"holder_kana": "yamada tarou"}, [("holderKana", ErrorCode.NOT_KATAKANA)]),
        ({"holder_kana": "やまだ　たろう"}, [("holderKana", ErrorCode.NOT_KATAKANA)]),
        ({"holder_kana": "山田太郎"}, [("holderKana", ErrorCode.NOT_KATAKANA)]),
        ({"holder_kana": ""}, [("holderKana", ErrorCode.REQUIRED)]),
        ({"holder_kana": "スズキ　ハナコ"}, [("holderKana", ErrorCode.INVALID)]),
        ({"bank_name": " "}, [("bankName", ErrorCode.REQUIRED)]),
        ({"branch_name": ""}, [("branchName", ErrorCode.REQUIRED)]),
        (
            {"bank_code": "1", "branch_code": "1", "account_number": "1", "holder_kana": "x"},
            [
                ("bankCode", ErrorCode.INVALID),
                ("branchCode", ErrorCode.INVALID),
                ("accountNumber", ErrorCode.INVALID),
                ("holderKana", ErrorCode.NOT_KATAKANA),
            ],
        ),
    ],
)
def test_bank_account(changes: dict[str, str], problems: list[tuple[str, ErrorCode]]) -> None:
    account, errors = validate_bank_account(_bank(**changes), "ヤマダタロウ", BANK)
    assert [(e.field[-1], e.code) for e in errors] == problems
    assert all(e.field[:2] == BANK for e in errors)
    assert (account is None) is bool(problems)


def test_bank_account_is_normalised_and_never_repr_the_number() -> None:
    account, _ = validate_bank_account(
        _bank(bank_code="０００１", holder_kana="ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ", BANK
    )
    assert account is not None
    assert account.bank_code == "0001"
    assert account.holder_kana == "ヤマダ　タロウ"
    assert "1234567" not in repr(account)


# ---------------------------------------------------------------- submission requirements

COMPLETE = ProfileFacts(
    name="山田太郎",
    name_kana="ヤマダタロウ",
    bases=((Basis.A, "中小企業診断士として登録"),),
    qualifications=(QualificationFacts(is_public=True, has_certificate=True),),
    has_photo=True,
    has_bank_account=True,
)


def _profile(**changes: object) -> ProfileFacts:
    return ProfileFacts(**{**COMPLETE.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "profile,org,terms,problems",
    [
        (COMPLETE, True, True, []),
        (_profile(bases=()), True, True, [("profile", "bases")]),
        (
            _profile(bases=((Basis.B, "製造業の工場長を12年"),), qualifications=()),
            True,
            True,
            [],
        ),
        (
            _profile(bases=((Basis.C, " "),)),
            True,
            True,
            [("profile", "bases", "0", "description")],
        ),
        (
            _profile(qualifications=(QualificationFacts(is_public=False, has_certificate=True),)),
            True,
            True,
            [("profile", "qualifications")],
        ),
        (
            _profile(qualifications=(QualificationFacts(is_public=True, has_certificate=False),)),
            True,
            True,
            [("profile", "qualifications", "0", "certificate")],
        ),
        (_profile(has_photo=False), True, True, [("profile", "photo")]),
        (_profile(has_bank_account=False), True, True, [("profile", "bankAccount")]),
        (_profile(name_kana="やまだ"), True, True, [("profile", "nameKana")]),
        (COMPLETE, False, True, [("input", "organizationId")]),
        (COMPLETE, True, False, [("input", "termsConsented")]),
        (
            ProfileFacts(name="", name_kana=""),
            False,
            False,
            [
                ("profile", "name"),
                ("profile", "nameKana"),
                ("profile", "bases"),
                ("profile", "photo"),
                ("profile", "bankAccount"),
                ("input", "organizationId"),
                ("input", "termsConsented"),
            ],
        ),
    ],
)
def test_submission_reports_every_missing_item(
    profile: ProfileFacts, org: bool, terms: bool, problems: list[tuple[str, ...]]
) -> None:
    errors = submission_errors(profile, org, terms)
    assert [e.field for e in errors] == problems
    for error in errors:
        expected = (
            ErrorCode.PROFILE_INCOMPLETE if error.field[0] == "profile" else ErrorCode.REQUIRED
        )
        assert error.code is expected
        assert error.message


# ---------------------------------------------------------------- what may be edited when


@pytest.mark.parametrize(
    "status,changed,code",
    [
        (S.DRAFT, ["bases", "bank_account"], None),
        (S.PENDING_ORG_APPROVAL, ["career"], ErrorCode.TRANSITION_NOT_ALLOWED),
        (S.PENDING_SECRETARIAT_APPROVAL, ["career"], ErrorCode.TRANSITION_NOT_ALLOWED),
        (S.REGISTERED, ["career", "bank_account", "qualifications"], None),
        (S.REGISTERED, ["bases"], ErrorCode.TRANSITION_NOT_ALLOWED),
        (S.REJECTED, ["career"], ErrorCode.TRANSITION_NOT_ALLOWED),
        (S.REVOKED, ["career"], ErrorCode.TRANSITION_NOT_ALLOWED),
        (S.WITHDRAWN, [], ErrorCode.TRANSITION_NOT_ALLOWED),
    ],
)
def test_profile_editability(status: S, changed: list[str], code: ErrorCode | None) -> None:
    assert [e.code for e in profile_edit_errors(status, changed)] == ([code] if code else [])


@pytest.mark.parametrize("status", list(S))
def test_settings_editable_until_an_exit(status: S) -> None:
    assert bool(settings_edit_errors(status)) is (status in EXIT_STATES)


# ---------------------------------------------------------------- availability settings


@pytest.mark.parametrize(
    "start,end,problems",
    [
        (540, 1020, []),
        (0, 1440, []),
        (0, 1, []),
        (600, 600, [("availableToMin", ErrorCode.END_NOT_AFTER_START)]),
        (700, 600, [("availableToMin", ErrorCode.END_NOT_AFTER_START)]),
        (-1, 600, [("availableFromMin", ErrorCode.OUT_OF_RANGE)]),
        (1440, 1441, [
            ("availableFromMin", ErrorCode.OUT_OF_RANGE),
            ("availableToMin", ErrorCode.OUT_OF_RANGE),
        ]),
        (540, 0, [("availableToMin", ErrorCode.OUT_OF_RANGE)]),
    ],
)  # fmt: skip
def test_hours(start: int, end: int, problems: list[tuple[str, ErrorCode]]) -> None:
    errors = hours_errors(start, end, ("input",))
    assert [(e.field[-1], e.code) for e in errors] == problems


def test_days_off() -> None:
    assert days_off_errors([0, 5, 6], ("input", "daysOff")) == []
    errors = days_off_errors([1, 7, -1], ("input", "daysOff"))
    assert [(e.field, e.code) for e in errors] == [
        (("input", "daysOff", "1"), ErrorCode.OUT_OF_RANGE),
        (("input", "daysOff", "2"), ErrorCode.OUT_OF_RANGE),
    ]


TODAY = date(2025, 6, 2)
DATES = ("input", "dates")


@pytest.mark.parametrize(
    "today,dates,kept,refused",
    [
        (TODAY, [date(2025, 6, 2), date(2025, 9, 2)], [date(2025, 6, 2), date(2025, 9, 2)], []),
        (TODAY, [date(2025, 9, 3)], [], [0]),
        (TODAY, [date(2025, 6, 1), date(2024, 1, 1)], [], []),
        (TODAY, [date(2025, 7, 1), date(2025, 7, 1), date(2025, 6, 10)],
         [date(2025, 6, 10), date(2025, 7, 1)], []),
        (TODAY, [date(2025, 7, 1), date(2026, 1, 1), date(2025, 5, 1), date(2025, 12, 1)],
         [date(2025, 7, 1)], [1, 3]),
        (date(2025, 11, 30), [date(2026, 2, 28), date(2026, 3, 1)], [date(2026, 2, 28)], [1]),
        (date(2027, 11, 30), [date(2028, 2, 29)], [date(2028, 2, 29)], []),
        (TODAY, [], [], []),
    ],
)  # fmt: skip
def test_holidays_within_three_months(
    today: date, dates: list[date], kept: list[date], refused: list[int]
) -> None:
    result, errors = holiday_dates(dates, today, DATES)
    assert [e.field for e in errors] == [(*DATES, str(i)) for i in refused]
    assert all(e.code is ErrorCode.OUT_OF_RANGE for e in errors)
    assert result == kept


def test_too_many_holidays() -> None:
    dates = [TODAY] * (MAX_HOLIDAYS + 1)
    _, errors = holiday_dates(dates, TODAY, DATES)
    assert [(e.field, e.code) for e in errors] == [(DATES, ErrorCode.TOO_LONG)]


def test_holiday_horizon_is_a_parameter() -> None:
    kept, errors = holiday_dates([date(2025, 7, 3)], TODAY, DATES, months=1)
    assert kept == [] and len(errors) == 1


# ---------------------------------------------------------------- commission years, suspension


@pytest.mark.parametrize(
    "now,year,ok",
    [
        (datetime(2025, 6, 2, tzinfo=UTC), 2025, True),
        (datetime(2025, 6, 2, tzinfo=UTC), 2026, True),
        (datetime(2025, 6, 2, tzinfo=UTC), 2024, False),
        (datetime(2025, 6, 2, tzinfo=UTC), 2027, False),
        # 2026-03-31 15:00 UTC is 2026-04-01 in Tokyo: FY 2026 has begun.
        (datetime(2026, 3, 31, 15, 0, tzinfo=UTC), 2025, False),
        (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), 2025, True),
    ],
)
def test_commission_years(now: datetime, year: int, ok: bool) -> None:
    errors = commission_year_errors(year, now, ("input", "fiscalYear"))
    assert (errors == []) is ok
    assert all(e.code is ErrorCode.OUT_OF_RANGE for e in errors)


@pytest.mark.parametrize(
    "start,until,reason,problems",
    [
        (date(2025, 6, 1), date(2025, 12, 31), "不正受給", []),
        (date(2025, 6, 1), None, "不正受給", []),
        (date(2025, 6, 1), date(2025, 6, 1), "不正受給", []),
        (date(2025, 6, 1), date(2025, 5, 31), "不正受給", [("suspendedUntil", ErrorCode.END_NOT_AFTER_START)]),
        (date(2025, 6, 1), None, " ", [("reason", ErrorCode.REQUIRED)]),
    ],
)  # fmt: skip
def test_suspension(
    start: date, until: date | None, reason: str, problems: list[tuple[str, ErrorCode]]
) -> None:
    errors = suspension_errors(start, until, reason, ("input",))
    assert [(e.field[-1], e.code) for e in errors] == problems


# ---------------------------------------------------------------- search filters


@pytest.mark.parametrize(
    "first,last,problems",
    [
        (None, None, []),
        (date(2025, 6, 1), date(2025, 6, 30), []),
        (date(2025, 6, 1), date(2025, 6, 1), []),
        (date(2025, 6, 1), None, [("freeTo", ErrorCode.REQUIRED)]),
        (None, date(2025, 6, 1), [("freeFrom", ErrorCode.REQUIRED)]),
        (date(2025, 6, 2), date(2025, 6, 1), [("freeTo", ErrorCode.END_NOT_AFTER_START)]),
        (date(2025, 6, 1), date(2025, 8, 31), []),
        (date(2025, 6, 1), date(2025, 9, 1), [("freeTo", ErrorCode.OUT_OF_RANGE)]),
    ],
)
def test_free_range(
    first: date | None, last: date | None, problems: list[tuple[str, ErrorCode]]
) -> None:
    errors = free_range_errors(first, last, ("filter",))
    assert [(e.field[-1], e.code) for e in errors] == problems


@pytest.mark.parametrize("value,ok", [(None, True), (1.0, True), (4.5, True), (5.0, True),
                                      (0.9, False), (5.1, False)])  # fmt: skip
def test_min_evaluation(value: float | None, ok: bool) -> None:
    assert (min_evaluation_errors(value, ("filter", "minEvaluation")) == []) is ok
