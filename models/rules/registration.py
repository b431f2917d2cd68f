"""Specialist registration (domain.md §3, seed 002) declared as data, and the profile rules.

The registration is one state machine, :data:`TRANSITIONS`: every row says which action moves a
specialist from which (effective, per fiscal year) states to which state, which actor takes it,
which named pure guard must hold and whether a reason is required::

    DRAFT --submit--> PENDING_ORG_APPROVAL --org approves--> PENDING_SECRETARIAT_APPROVAL
    PENDING_ORG_APPROVAL --org rejects(reason)--> DRAFT
    PENDING_SECRETARIAT_APPROVAL --approves--> REGISTERED | --returns(reason)--> DRAFT
                                 --rejects(reason)--> REJECTED
    REGISTERED --terms of the FY accepted--> TERMS_ACCEPTED --letter issued (keeps)-->
    TERMS_ACCEPTED --就任承諾書 submitted--> ACTIVE
    any open state --secretariat revokes(reason)--> REVOKED ; --specialist withdraws--> WITHDRAWN

The stored registration goes up to REGISTERED; TERMS_ACCEPTED and ACTIVE are per fiscal year and
live in that year's commission (``commission_step`` rows change the commission, not the stored
status; :func:`models.rules.dispatchability.status_for_fiscal_year` derives the effective state).

Besides the table: the submission requirements (every missing item at once), and the pure
validation of names, contact data, bank accounts, available hours, weekly days off, holidays
(next three months only), suspension periods and the specialist search's extra filters.
Everything is stdlib only; ``now``/``today`` are parameters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from models.rules.dispatchability import CommissionFacts, status_for_fiscal_year
from models.rules.errors import ErrorCode, FieldError, TransitionNotAllowed
from models.rules.fiscal_year import current_fiscal_year
from models.rules.labels import LabelledEnum
from models.rules.registration_status import Basis, RegistrationStatus
from models.rules.scheduling import (
    DEFAULT_HOLIDAY_HORIZON_MONTHS,
    MAX_RANGE_DAYS,
    MINUTES_PER_DAY,
    holiday_horizon_end,
)

S = RegistrationStatus
Path = tuple[str, ...]


class RegistrationAction(LabelledEnum):
    """What an actor may do with a registration (``Specialist.availableRegistrationActions``)."""

    SUBMIT = ("SUBMIT", "登録申請（支援機関へ承認依頼）")
    APPROVE_BY_ORGANIZATION = ("APPROVE_BY_ORGANIZATION", "支援機関による承認")
    REJECT_BY_ORGANIZATION = ("REJECT_BY_ORGANIZATION", "支援機関による差戻し")
    APPROVE_BY_SECRETARIAT = ("APPROVE_BY_SECRETARIAT", "事務局による承認（本登録）")
    RETURN = ("RETURN", "事務局による差戻し")
    REJECT = ("REJECT", "事務局による不承認")
    ACCEPT_TERMS = ("ACCEPT_TERMS", "委嘱条件への同意")
    ISSUE_LETTER = ("ISSUE_LETTER", "委嘱状の発行")
    SUBMIT_ACCEPTANCE = ("SUBMIT_ACCEPTANCE", "就任承諾書の提出")
    REVOKE = ("REVOKE", "登録取消")
    WITHDRAW = ("WITHDRAW", "登録辞退")


#: The creation of an account and a draft (``specialistApply``): not a row of the table, since
#: there is no state before it; it emits the same event kind with this action name.
APPLY_ACTION = "APPLY"
APPLY_STATUS = RegistrationStatus.DRAFT


class RegistrationActor(LabelledEnum):
    """The viewer's relation to one registration (a viewer may hold several)."""

    SPECIALIST = ("SPECIALIST", "申請者本人（専門家）")
    ORGANIZATION = ("ORGANIZATION", "面談した支援機関の職員")
    SECRETARIAT = ("SECRETARIAT", "居住地を管轄する事務局・全国事務局")


class ReasonRule(LabelledEnum):
    NONE = ("NONE", "理由なし")
    OPTIONAL = ("OPTIONAL", "理由は任意")
    REQUIRED = ("REQUIRED", "理由は必須")


class DisplayItem(LabelledEnum):
    """Profile items a specialist may hide from companies (表示項目選択, domain.md §11)."""

    PHOTO = ("PHOTO", "顔写真")
    CAREER = ("CAREER", "経歴")
    INDUSTRIES = ("INDUSTRIES", "得意業種")
    AREAS = ("AREAS", "対応地域")
    QUALIFICATIONS = ("QUALIFICATIONS", "保有資格")
    EVALUATIONS = ("EVALUATIONS", "評価")


class BankAccountType(LabelledEnum):
    ORDINARY = ("ORDINARY", "普通")
    CURRENT = ("CURRENT", "当座")


#: States a registration can leave (everything but the three exits).
EXIT_STATES: frozenset[RegistrationStatus] = frozenset({S.REJECTED, S.REVOKED, S.WITHDRAWN})
OPEN_STATES: frozenset[RegistrationStatus] = frozenset(set(S) - EXIT_STATES)
UNDER_REVIEW: frozenset[RegistrationStatus] = frozenset(
    {S.PENDING_ORG_APPROVAL, S.PENDING_SECRETARIAT_APPROVAL}
)


@dataclass(frozen=True)
class RegistrationFacts:
    """What the table needs: the stored registration and the commission of the FY in question."""

    status: RegistrationStatus
    commission: CommissionFacts | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RegistrationStatus(self.status))

    @property
    def effective(self) -> RegistrationStatus:
        return status_for_fiscal_year(self.status, self.commission)


GuardTest = Callable[[RegistrationFacts], bool]


@dataclass(frozen=True)
class RegistrationGuard:
    """A named pure predicate over the facts of a registration."""

    name: str
    description_ja: str
    test: GuardTest

    def __call__(self, facts: RegistrationFacts) -> bool:
        return self.test(facts)


def _always(facts: RegistrationFacts) -> bool:
    return True


def _letter_not_issued(facts: RegistrationFacts) -> bool:
    return facts.commission is None or not facts.commission.letter_issued


def _letter_issued(facts: RegistrationFacts) -> bool:
    return facts.commission is not None and facts.commission.letter_issued


ALWAYS = RegistrationGuard("always", "条件なし", _always)
LETTER_NOT_ISSUED = RegistrationGuard(
    "letter_not_issued", "その年度の委嘱状が未発行", _letter_not_issued
)
LETTER_ISSUED = RegistrationGuard("letter_issued", "その年度の委嘱状が発行済", _letter_issued)


@dataclass(frozen=True)
class RegistrationTransition:
    """One row. ``to_state`` None keeps the state; ``commission_step`` rows write the FY's
    commission instead of the stored registration status."""

    action: RegistrationAction
    from_states: frozenset[RegistrationStatus]
    to_state: RegistrationStatus | None
    actor: RegistrationActor
    guard: RegistrationGuard
    reason: ReasonRule
    commission_step: bool
    description_ja: str

    def stored_status_after(self, stored: RegistrationStatus) -> RegistrationStatus:
        """The stored registration status once this row is applied."""
        if self.commission_step or self.to_state is None:
            return stored
        return self.to_state


A = RegistrationAction
ACT = RegistrationActor
R = ReasonRule


def _row(
    action: RegistrationAction,
    from_states: Collection[RegistrationStatus],
    to_state: RegistrationStatus | None,
    actor: RegistrationActor,
    description_ja: str,
    *,
    guard: RegistrationGuard = ALWAYS,
    reason: ReasonRule = R.NONE,
    commission_step: bool = False,
) -> RegistrationTransition:
    return RegistrationTransition(
        action,
        frozenset(from_states),
        to_state,
        actor,
        guard,
        reason,
        commission_step,
        description_ja,
    )


#: Every registration step of domain.md §3 / seed 002 登録の流れ 01–06.
TRANSITIONS: tuple[RegistrationTransition, ...] = (
    _row(A.SUBMIT, [S.DRAFT], S.PENDING_ORG_APPROVAL, ACT.SPECIALIST,
         "面談した支援機関を選び、利用規約に同意して承認を依頼する"),
    _row(A.APPROVE_BY_ORGANIZATION, [S.PENDING_ORG_APPROVAL], S.PENDING_SECRETARIAT_APPROVAL,
         ACT.ORGANIZATION, "選ばれた支援機関が承認し、事務局の承認へ回す"),
    _row(A.REJECT_BY_ORGANIZATION, [S.PENDING_ORG_APPROVAL], S.DRAFT, ACT.ORGANIZATION,
         "選ばれた支援機関が理由を付して下書きに戻す", reason=R.REQUIRED),
    _row(A.APPROVE_BY_SECRETARIAT, [S.PENDING_SECRETARIAT_APPROVAL], S.REGISTERED,
         ACT.SECRETARIAT, "事務局が最終承認し、本登録とする"),
    _row(A.RETURN, [S.PENDING_SECRETARIAT_APPROVAL], S.DRAFT, ACT.SECRETARIAT,
         "事務局が理由を付して下書きに差し戻す", reason=R.REQUIRED),
    _row(A.REJECT, [S.PENDING_SECRETARIAT_APPROVAL], S.REJECTED, ACT.SECRETARIAT,
         "事務局が理由を付して不承認とする", reason=R.REQUIRED),
    _row(A.ACCEPT_TERMS, [S.REGISTERED], S.TERMS_ACCEPTED, ACT.SPECIALIST,
         "その年度の委嘱条件に同意する（以後派遣依頼を受けられる）", commission_step=True),
    _row(A.ISSUE_LETTER, [S.TERMS_ACCEPTED], None, ACT.SECRETARIAT,
         "事務局がその年度の委嘱状を発行する", guard=LETTER_NOT_ISSUED, commission_step=True),
    _row(A.SUBMIT_ACCEPTANCE, [S.TERMS_ACCEPTED], S.ACTIVE, ACT.SPECIALIST,
         "署名した就任承諾書を提出する（以後謝金を支払える）", guard=LETTER_ISSUED,
         commission_step=True),
    _row(A.REVOKE, OPEN_STATES, S.REVOKED, ACT.SECRETARIAT,
         "事務局が理由を付して登録を取り消す（新規の派遣依頼は直ちに不可）", reason=R.REQUIRED),
    _row(A.WITHDRAW, OPEN_STATES, S.WITHDRAWN, ACT.SPECIALIST,
         "専門家が登録を辞退する", reason=R.OPTIONAL),
)  # fmt: skip


def _applies(
    row: RegistrationTransition, facts: RegistrationFacts, actors: frozenset[RegistrationActor]
) -> bool:
    return facts.effective in row.from_states and row.actor in actors and row.guard(facts)


def available_registration_actions(
    facts: RegistrationFacts, actors: Collection[RegistrationActor]
) -> list[RegistrationAction]:
    """What these actors may do now, in the declaration order of :class:`RegistrationAction`."""
    viewer = frozenset(actors)
    found = {row.action for row in TRANSITIONS if _applies(row, facts, viewer)}
    return [action for action in RegistrationAction if action in found]


class RegistrationActionNotAllowed(TransitionNotAllowed):
    """A refused registration step, naming the state it was judged on and the allowed actions."""

    def __init__(self, state: RegistrationStatus, allowed: Collection[RegistrationAction]) -> None:
        self.state = state
        self.allowed = tuple(allowed)
        names = "、".join(action.ja for action in self.allowed)
        tail = f"可能な操作: {names}" if names else "可能な操作はありません。"
        super().__init__(f"現在の登録状態（{state.ja}）ではこの操作はできません。{tail}")


def find_registration_transition(
    action: RegistrationAction,
    facts: RegistrationFacts,
    actors: Collection[RegistrationActor],
) -> RegistrationTransition:
    """The row ``action`` applies for these actors now, else :class:`RegistrationActionNotAllowed`
    ("approving twice, skipping a step" are refused with the allowed actions named)."""
    viewer = frozenset(actors)
    for row in TRANSITIONS:
        if row.action is action and _applies(row, facts, viewer):
            return row
    raise RegistrationActionNotAllowed(
        facts.effective, available_registration_actions(facts, viewer)
    )


def registration_document() -> dict[str, object]:
    """A JSON-able description of the table for clients and documentation."""
    return {
        "states": [{"value": str(s), "label": s.ja} for s in RegistrationStatus],
        "actions": [{"value": str(a), "label": a.ja} for a in RegistrationAction],
        "transitions": [
            {
                "action": str(row.action),
                "from": [str(s) for s in RegistrationStatus if s in row.from_states],
                "to": None if row.to_state is None else str(row.to_state),
                "actor": str(row.actor),
                "guard": row.guard.name,
                "reason": str(row.reason),
                "commissionStep": row.commission_step,
                "description": row.description_ja,
            }
            for row in TRANSITIONS
        ],
    }


# ---------------------------------------------------------------- text rules

MAX_NAME = 64
MAX_REASON = 2000
MAX_BASIS_TEXT = 2000
MAX_CAREER = 4000
MAX_ADDRESS = 255
MAX_BANK_NAME = 64
MAX_EMAIL = 254
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_LIST = 50
MAX_QUALIFICATIONS = 20

_KATAKANA = re.compile(r"[ァ-ヶー・\u3000]+")
_HAS_KANA = re.compile(r"[ァ-ヶ]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_DIGITS = re.compile(r"[0-9]+")


def _error(code: ErrorCode, message: str, path: Path) -> FieldError:
    return FieldError(code, message, path)


def normalize_kana(value: str) -> str:
    """NFKC (half-width katakana and digits to their usual forms), ASCII spaces to full-width
    ones, runs of spaces collapsed, ends trimmed."""
    text = unicodedata.normalize("NFKC", value).replace(" ", "\u3000")
    text = re.sub("\u3000+", "\u3000", text)
    return text.strip("\u3000")


def kana_errors(value: str, path: Path, label: str, max_length: int = MAX_NAME) -> list[FieldError]:
    """Full-width katakana with the long vowel mark, ・ and spaces (after :func:`normalize_kana`)."""
    text = normalize_kana(value)
    if not text:
        return [_error(ErrorCode.REQUIRED, f"{label}を入力してください。", path)]
    if len(text) > max_length:
        return [_error(ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内です。", path)]
    if not _KATAKANA.fullmatch(text) or not _HAS_KANA.search(text):
        return [_error(ErrorCode.NOT_KATAKANA, f"{label}は全角カタカナで入力してください。", path)]
    return []


def text_errors(
    value: str, path: Path, label: str, max_length: int, *, required: bool = True
) -> list[FieldError]:
    text = value.strip()
    if required and not text:
        return [_error(ErrorCode.REQUIRED, f"{label}を入力してください。", path)]
    if len(text) > max_length:
        return [
            _error(ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", path)
        ]
    return []


def email_errors(value: str, path: Path) -> list[FieldError]:
    text = value.strip()
    if not text:
        return [_error(ErrorCode.REQUIRED, "メールアドレスを入力してください。", path)]
    if len(text) > MAX_EMAIL:
        return [_error(ErrorCode.TOO_LONG, f"メールアドレスは{MAX_EMAIL}文字以内です。", path)]
    if not _EMAIL.fullmatch(text):
        return [_error(ErrorCode.INVALID, "メールアドレスの形式が正しくありません。", path)]
    return []


def password_errors(password: str, email: str, path: Path) -> list[FieldError]:
    if len(password) < MIN_PASSWORD:
        return [
            _error(ErrorCode.TOO_SHORT, f"パスワードは{MIN_PASSWORD}文字以上にしてください。", path)
        ]
    if len(password) > MAX_PASSWORD:
        return [
            _error(ErrorCode.TOO_LONG, f"パスワードは{MAX_PASSWORD}文字以内にしてください。", path)
        ]
    if password.strip().lower() == email.strip().lower():
        return [_error(ErrorCode.INVALID, "メールアドレスと同じパスワードは使えません。", path)]
    return []


def normalize_phone(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().replace("ー", "-").replace("−", "-")


def phone_errors(value: str, path: Path) -> list[FieldError]:
    """Optional; a Japanese number: 10 or 11 digits starting with 0, hyphens allowed."""
    text = normalize_phone(value)
    if not text:
        return []
    digits = text.replace("-", "")
    if not _DIGITS.fullmatch(digits) or not digits.startswith("0") or len(digits) not in (10, 11):
        return [_error(ErrorCode.INVALID, "電話番号の形式が正しくありません。", path)]
    return []


def normalize_postal_code(value: str) -> str:
    """``NNN-NNNN`` for a valid code, else the NFKC text unchanged."""
    text = unicodedata.normalize("NFKC", value).strip()
    digits = text.replace("-", "")
    if _DIGITS.fullmatch(digits) and len(digits) == 7:
        return f"{digits[:3]}-{digits[3:]}"
    return text


def postal_code_errors(value: str, path: Path) -> list[FieldError]:
    text = normalize_postal_code(value)
    if text and not re.fullmatch(r"[0-9]{3}-[0-9]{4}", text):
        return [_error(ErrorCode.INVALID, "郵便番号は7桁の数字で入力してください。", path)]
    return []


def reason_errors(reason: str | None, rule: ReasonRule, path: Path) -> list[FieldError]:
    """Rule "returns to DRAFT with reasons": a REQUIRED reason must be non-blank."""
    text = (reason or "").strip()
    if rule is ReasonRule.REQUIRED and not text:
        return [_error(ErrorCode.REQUIRED, "理由を入力してください。", path)]
    if len(text) > MAX_REASON:
        return [_error(ErrorCode.TOO_LONG, f"理由は{MAX_REASON}文字以内で入力してください。", path)]
    return []


# ---------------------------------------------------------------- bank account


@dataclass(frozen=True)
class BankAccountData:
    """A bank account as entered (strings); :func:`validate_bank_account` normalises it."""

    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str
    holder_kana: str

    def __repr__(self) -> str:  # never leak the number into logs or tracebacks
        return f"BankAccountData(bank_code={self.bank_code!r}, number=****)"


def _digits_errors(value: str, length: int, path: Path, label: str) -> list[FieldError]:
    if not value:
        return [_error(ErrorCode.REQUIRED, f"{label}を入力してください。", path)]
    if not _DIGITS.fullmatch(value) or len(value) != length:
        return [_error(ErrorCode.INVALID, f"{label}は{length}桁の数字で入力してください。", path)]
    return []


def _compact_kana(value: str) -> str:
    return normalize_kana(value).replace("\u3000", "").replace("・", "")


def validate_bank_account(
    account: BankAccountData, owner_kana: str, path: Path
) -> tuple[BankAccountData | None, list[FieldError]]:
    """Bank code 4 digits, branch 3, 普通/当座, number 7, holder in full-width katakana and the
    owner's own name (domain.md §3 "own name only"). Returns the normalised account or errors."""
    bank_code = unicodedata.normalize("NFKC", account.bank_code).strip()
    branch_code = unicodedata.normalize("NFKC", account.branch_code).strip()
    number = unicodedata.normalize("NFKC", account.account_number).strip()
    holder = normalize_kana(account.holder_kana)
    errors = [
        *_digits_errors(bank_code, 4, (*path, "bankCode"), "金融機関コード"),
        *text_errors(account.bank_name, (*path, "bankName"), "金融機関名", MAX_BANK_NAME),
        *_digits_errors(branch_code, 3, (*path, "branchCode"), "支店コード"),
        *text_errors(account.branch_name, (*path, "branchName"), "支店名", MAX_BANK_NAME),
        *_digits_errors(number, 7, (*path, "accountNumber"), "口座番号"),
    ]
    if account.account_type not in {t.value for t in BankAccountType}:
        errors.append(
            _error(ErrorCode.INVALID, "預金種目は普通または当座です。", (*path, "accountType"))
        )
    holder_errors = kana_errors(holder, (*path, "holderKana"), "口座名義（カナ）")
    if not holder_errors and owner_kana and _compact_kana(holder) != _compact_kana(owner_kana):
        holder_errors = [
            _error(
                ErrorCode.INVALID,
                "口座名義はご本人の氏名（カナ）と同じにしてください。",
                (*path, "holderKana"),
            )
        ]
    errors.extend(holder_errors)
    if errors:
        return None, errors
    return (
        BankAccountData(
            bank_code=bank_code,
            bank_name=account.bank_name.strip(),
            branch_code=branch_code,
            branch_name=account.branch_name.strip(),
            account_type=account.account_type,
            account_number=number,
            holder_kana=holder,
        ),
        [],
    )


# ---------------------------------------------------------------- submission requirements


@dataclass(frozen=True)
class QualificationFacts:
    is_public: bool
    has_certificate: bool
    requires_name: bool = False
    other_name: str = ""


@dataclass(frozen=True)
class ProfileFacts:
    """The stored profile, as far as the submission requirements look at it."""

    name: str
    name_kana: str
    bases: tuple[tuple[Basis, str], ...] = ()
    qualifications: tuple[QualificationFacts, ...] = ()
    has_photo: bool = False
    has_bank_account: bool = False


PROFILE: Path = ("profile",)


def submission_errors(
    profile: ProfileFacts, organization_chosen: bool, terms_consented: bool
) -> list[FieldError]:
    """Every unmet requirement of seed 002 at once (専門家登録の要件, 登録の流れ 02):

    at least one basis ア–エ with its evidence text; the public qualification for ア; a
    certificate for every qualification; a photo; the bank account; a name in kanji and kana;
    the chosen interviewing organisation; consent to the terms of use. Profile items are
    reported under ``["profile", …]``, the submission's own input under ``["input", …]``.
    """
    errors: list[FieldError] = []
    incomplete = ErrorCode.PROFILE_INCOMPLETE
    if not profile.name.strip():
        errors.append(_error(incomplete, "氏名が未登録です。", (*PROFILE, "name")))
    if kana_errors(profile.name_kana, (*PROFILE, "nameKana"), "氏名（カナ）"):
        errors.append(
            _error(
                incomplete,
                "氏名（カナ）が全角カタカナで登録されていません。",
                (*PROFILE, "nameKana"),
            )
        )
    if not profile.bases:
        errors.append(
            _error(
                incomplete,
                "登録要件（ア〜エ）のいずれかとその根拠を登録してください。",
                (*PROFILE, "bases"),
            )
        )
    for index, (basis, text) in enumerate(profile.bases):
        if not text.strip():
            errors.append(
                _error(
                    incomplete,
                    f"登録要件「{basis.ja}」の根拠を記入してください。",
                    (*PROFILE, "bases", str(index), "description"),
                )
            )
    claims_a = any(basis is Basis.A for basis, _ in profile.bases)
    if claims_a and not any(q.is_public for q in profile.qualifications):
        errors.append(
            _error(
                incomplete,
                "要件アには公的資格の登録が必要です。",
                (*PROFILE, "qualifications"),
            )
        )
    for index, qualification in enumerate(profile.qualifications):
        if not qualification.has_certificate:
            errors.append(
                _error(
                    incomplete,
                    "資格の証明書をアップロードしてください。",
                    (*PROFILE, "qualifications", str(index), "certificate"),
                )
            )
    if not profile.has_photo:
        errors.append(
            _error(incomplete, "プロフィール写真を登録してください。", (*PROFILE, "photo"))
        )
    if not profile.has_bank_account:
        errors.append(
            _error(incomplete, "謝金の振込口座を登録してください。", (*PROFILE, "bankAccount"))
        )
    if not organization_chosen:
        errors.append(
            _error(
                ErrorCode.REQUIRED,
                "面談を受けた支援機関を選択してください。",
                ("input", "organizationId"),
            )
        )
    if not terms_consented:
        errors.append(
            _error(
                ErrorCode.REQUIRED,
                "中小企業119の利用規約への同意が必要です。",
                ("input", "termsConsented"),
            )
        )
    return errors


# ---------------------------------------------------------------- what may be edited when


def profile_edit_errors(status: RegistrationStatus, changed: Collection[str]) -> list[FieldError]:
    """Profile updates: everything in DRAFT; nothing while under review or after an exit; once
    registered, everything but the bases ア–エ the approvals were given on."""
    status = RegistrationStatus(status)
    if status in EXIT_STATES:
        message = f"登録状態が「{status.ja}」のため、プロフィールは変更できません。"
        return [_error(ErrorCode.TRANSITION_NOT_ALLOWED, message, ("input",))]
    if status in UNDER_REVIEW:
        message = "審査中はプロフィールを変更できません。差し戻し後に変更してください。"
        return [_error(ErrorCode.TRANSITION_NOT_ALLOWED, message, ("input",))]
    if status is not S.DRAFT and "bases" in changed:
        message = "登録要件（ア〜エ）は登録後に変更できません。"
        return [_error(ErrorCode.TRANSITION_NOT_ALLOWED, message, ("input", "bases"))]
    return []


def settings_edit_errors(status: RegistrationStatus) -> list[FieldError]:
    """Availability settings and holidays: any open registration."""
    status = RegistrationStatus(status)
    if status in EXIT_STATES:
        message = f"登録状態が「{status.ja}」のため、設定は変更できません。"
        return [_error(ErrorCode.TRANSITION_NOT_ALLOWED, message, ("input",))]
    return []


# ---------------------------------------------------------------- availability settings

MAX_HOLIDAYS = 100


def hours_errors(from_min: int, to_min: int, path: Path) -> list[FieldError]:
    """派遣対応可能時間: a daily window inside 00:00–24:00 whose end is after its start."""
    errors: list[FieldError] = []
    if not 0 <= from_min < MINUTES_PER_DAY:
        errors.append(
            _error(
                ErrorCode.OUT_OF_RANGE,
                "開始時刻は0:00〜23:59の範囲で指定してください。",
                (*path, "availableFromMin"),
            )
        )
    if not 0 < to_min <= MINUTES_PER_DAY:
        errors.append(
            _error(
                ErrorCode.OUT_OF_RANGE,
                "終了時刻は0:01〜24:00の範囲で指定してください。",
                (*path, "availableToMin"),
            )
        )
    if not errors and to_min <= from_min:
        errors.append(
            _error(
                ErrorCode.END_NOT_AFTER_START,
                "終了時刻は開始時刻より後にしてください。",
                (*path, "availableToMin"),
            )
        )
    return errors


def days_off_errors(days: Sequence[int], path: Path) -> list[FieldError]:
    """定休日: weekday numbers, Monday = 0 … Sunday = 6."""
    return [
        _error(
            ErrorCode.OUT_OF_RANGE,
            "曜日は0（月曜）〜6（日曜）で指定してください。",
            (*path, str(index)),
        )
        for index, day in enumerate(days)
        if not 0 <= day <= 6
    ]


def holiday_dates(
    dates: Sequence[date], today: date, path: Path, months: int = DEFAULT_HOLIDAY_HORIZON_MONTHS
) -> tuple[list[date], list[FieldError]]:
    """休日登録 "only within the next three months from today": dates before today are ignored,
    dates after the horizon refused (each with its index), duplicates collapsed; sorted."""
    if len(dates) > MAX_HOLIDAYS:
        message = f"休日は{MAX_HOLIDAYS}日まで登録できます。"
        return [], [_error(ErrorCode.TOO_LONG, message, path)]
    last = holiday_horizon_end(today, months)
    errors = [
        _error(
            ErrorCode.OUT_OF_RANGE,
            f"休日は本日から{months}か月以内（{last.isoformat()}まで）の日付を指定してください。",
            (*path, str(index)),
        )
        for index, day in enumerate(dates)
        if day > last
    ]
    kept = sorted({day for day in dates if today <= day <= last})
    return kept, errors


# ---------------------------------------------------------------- commission years


def commission_year_errors(fiscal_year: int, now: datetime, path: Path) -> list[FieldError]:
    """The commission may be handled for the current fiscal year and the next one (the terms
    of a new year are sent before April)."""
    current = current_fiscal_year(now)
    if fiscal_year not in (current, current + 1):
        message = f"年度は{current}年度または{current + 1}年度を指定してください。"
        return [_error(ErrorCode.OUT_OF_RANGE, message, path)]
    return []


# ---------------------------------------------------------------- suspension (fraud control)


def suspension_errors(
    suspended_from: date, suspended_until: date | None, reason: str, path: Path
) -> list[FieldError]:
    """``supportOrganizationSuspend``: a reason and a period whose end is not before its start
    (no end = until further notice)."""
    errors = reason_errors(reason, ReasonRule.REQUIRED, (*path, "reason"))
    if suspended_until is not None and suspended_until < suspended_from:
        errors.append(
            _error(
                ErrorCode.END_NOT_AFTER_START,
                "停止期間の終了日は開始日以降にしてください。",
                (*path, "suspendedUntil"),
            )
        )
    return errors


# ---------------------------------------------------------------- search: free on a date range

#: The longest date range the "free on" search accepts (the calendar's limit).
MAX_FREE_RANGE_DAYS = MAX_RANGE_DAYS


def free_range_errors(first: date | None, last: date | None, path: Path) -> list[FieldError]:
    if first is None and last is None:
        return []
    if first is None or last is None:
        missing = "freeFrom" if first is None else "freeTo"
        message = "空き日の検索には開始日と終了日の両方が必要です。"
        return [_error(ErrorCode.REQUIRED, message, (*path, missing))]
    if last < first:
        message = "終了日は開始日以降にしてください。"
        return [_error(ErrorCode.END_NOT_AFTER_START, message, (*path, "freeTo"))]
    if (last - first).days + 1 > MAX_FREE_RANGE_DAYS:
        message = f"空き日の検索期間は{MAX_FREE_RANGE_DAYS}日以内にしてください。"
        return [_error(ErrorCode.OUT_OF_RANGE, message, (*path, "freeTo"))]
    return []


#: Minimum average evaluation in search: the scores run from 1 to 5.
MIN_SCORE, MAX_SCORE = 1.0, 5.0


def min_evaluation_errors(value: float | None, path: Path) -> list[FieldError]:
    if value is not None and not MIN_SCORE <= value <= MAX_SCORE:
        message = f"評価の下限は{MIN_SCORE:g}〜{MAX_SCORE:g}で指定してください。"
        return [_error(ErrorCode.OUT_OF_RANGE, message, path)]
    return []
