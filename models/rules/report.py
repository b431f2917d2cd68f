"""The report form (実績報告) — domain.md §5, seed 000 pp.18–25 「未報告」案件を処理する①–⑧.

:func:`check_report` runs every rule of the form and returns **all** errors at once, each with
its path relative to the report input (``("companyRequest",)``, ``("travel", "lines", "0",
"oneWayFare")``), plus what the server computes (billable minutes, travel totals). The mutation
prefixes the paths with ``"input"`` (:func:`models.rules.field_checks.prefixed`).

Decided where the sources are silent: the start lies on the dispatch date (Asia/Tokyo), a
dispatch lasts at most 24 hours and, on submission, has ended (end ≤ now); a non-billable time
above 0 needs its remark (「詳細は備考に記入下さい」); every free text other than the short
name fields is bounded by the configured support-text length. Deadlines, reminders and
check-in/out anomalies live in :mod:`models.rules.report_timing` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.rules.errors import ErrorCode, FieldError
from models.rules.field_checks import FieldErrors, is_blank
from models.rules.fiscal_year import tokyo_date
from models.rules.honorarium import (
    END_FIELD,
    NON_BILLABLE_FIELD,
    START_FIELD,
    duration_errors,
    face_to_face_minutes,
)
from models.rules.money_kinds import DocumentKind
from models.rules.report_timing import (
    Anomaly,
    AnomalyKind,
    anomalies_json,
    due_reminders,
    is_report_overdue,
    reminder_at,
    report_anomalies,
    report_due_at,
)
from models.rules.travel import TravelCheck, TravelClaimInput, TravelRates, check_travel_claim

__all__ = [
    "Anomaly",
    "AnomalyKind",
    "MasterChoice",
    "ReportCheck",
    "ReportInput",
    "anomalies_json",
    "check_report",
    "due_reminders",
    "is_report_overdue",
    "reminder_at",
    "report_anomalies",
    "report_due_at",
]

#: Default of ``support_text_max_length`` (fiscal-year configuration).
DEFAULT_TEXT_MAX_LENGTH = 2000
#: Column sizes of the short fields (models.reports.Report).
NAME_MAX_LENGTH = 64
ATTENDEES_MAX_LENGTH = 255
#: What to write when nobody attended in a role (seed 000: "該当なし").
NOBODY = "該当なし"
MAX_DISPATCH = timedelta(hours=24)


@dataclass(frozen=True)
class MasterChoice:
    """A master row chosen in the form, resolved by the caller (unknown IDs are its NOT_FOUND).

    ``requires_text``: その他の経営課題 demands a detail text, その他 (資格) a name.
    """

    requires_text: bool = False


@dataclass(frozen=True)
class ReportInput:
    """The report form; every field may be missing in a draft."""

    dispatch_date: date | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    non_billable_minutes: int | None = None
    non_billable_remark: str | None = None
    issue_category: MasterChoice | None = None
    issue_detail: str | None = None
    issue_note: str | None = None
    company_request: str | None = None
    main_qualification: MasterChoice | None = None
    main_qualification_other: str | None = None
    platform_staff: str | None = None
    attendees_company: str | None = None
    attendees_organization: str | None = None
    attendees_others: str | None = None
    support_content_1: str | None = None
    support_content_2: str | None = None
    support_content_3: str | None = None
    comment_to_secretariat: str | None = None
    accompanied: bool | None = None
    further_visits_needed: bool | None = None
    further_visits_reason: str | None = None
    survey_cooperation: bool | None = None
    travel: TravelClaimInput | None = None


@dataclass(frozen=True)
class ReportCheck:
    """The verdict on a report: every error, and the values the server computes."""

    errors: tuple[FieldError, ...]
    billable_minutes: int | None
    travel: TravelCheck | None

    @property
    def ok(self) -> bool:
        return not self.errors


def _check_window(
    errors: FieldErrors, report: ReportInput, now: datetime | None, long: int
) -> int | None:
    """派遣日・派遣時間・実績対象外時間 and its remark; the billable minutes when all are valid."""
    before = len(errors.errors)
    day, start, end = report.dispatch_date, report.start_at, report.end_at
    non_billable = report.non_billable_minutes
    if day is None:
        errors.required("派遣日を入力してください。", "dispatchDate")
    if start is None:
        errors.required("派遣時間（開始）を入力してください。", *START_FIELD)
    if end is None:
        errors.required("派遣時間（終了）を入力してください。", *END_FIELD)
    if non_billable is None:
        errors.required(
            "実績対象外時間（分）を入力してください（なければ0）。", *NON_BILLABLE_FIELD
        )
    if start is not None and day is not None and tokyo_date(start) != day:
        errors.add(
            ErrorCode.INVALID, "派遣時間（開始）は派遣日の時刻にしてください。", *START_FIELD
        )
    if start is not None and end is not None:
        if end - start > MAX_DISPATCH:
            errors.add(
                ErrorCode.OUT_OF_RANGE, "派遣時間は24時間以内で入力してください。", *END_FIELD
            )
        elif now is not None and end > now:
            errors.add(
                ErrorCode.IN_FUTURE, "派遣時間（終了）に未来の時刻は入力できません。", *END_FIELD
            )
        errors.extend(duration_errors(start, end, 0 if non_billable is None else non_billable))
    elif non_billable is not None:
        errors.integer(non_billable, "実績対象外時間（分）", *NON_BILLABLE_FIELD)
    remark_needed = isinstance(non_billable, int) and non_billable > 0
    errors.text(
        report.non_billable_remark,
        "実績対象外時間の備考",
        long,
        "nonBillableRemark",
        required=remark_needed,
    )
    if len(errors.errors) > before or start is None or end is None or non_billable is None:
        return None
    return face_to_face_minutes(start, end) - non_billable


def check_report(
    report: ReportInput,
    *,
    now: datetime,
    rates: TravelRates,
    text_max_length: int = DEFAULT_TEXT_MAX_LENGTH,
    attached: Collection[DocumentKind] | None = None,
    for_submission: bool = True,
) -> ReportCheck:
    """Every rule of the report form (domain.md §5 table) and of its travel claim.

    ``for_submission=False`` checks a draft (``reportSaveDraft``): what is there must have the
    right format, length and range; nothing is required and the dispatch may still be running.
    ``attached`` (kinds of the case's documents) feeds the air-travel rule, see
    :func:`models.rules.travel.check_travel_claim`.
    """
    errors = FieldErrors(check_required=for_submission)
    long = text_max_length
    billable = _check_window(errors, report, now if for_submission else None, long)
    if report.issue_category is None:
        errors.required("支援課題を選択してください。", "issueCategoryId")
    errors.text(
        report.issue_detail,
        "支援課題（その他の経営課題）の詳細",
        long,
        "issueDetail",
        required=report.issue_category is not None and report.issue_category.requires_text,
    )
    errors.text(report.issue_note, "支援課題備考", long, "issueNote")
    errors.text(
        report.company_request, "課題（企業からの要望等）", long, "companyRequest", required=True
    )
    if report.main_qualification is None:
        errors.required("主な資格を一つ選択してください。", "mainQualificationId")
    errors.text(
        report.main_qualification_other,
        "その他資格等名称",
        NAME_MAX_LENGTH,
        "mainQualificationOther",
        required=report.main_qualification is not None and report.main_qualification.requires_text,
    )
    errors.text(report.platform_staff, "支援機関担当職員氏名", NAME_MAX_LENGTH, "platformStaff")
    for value, label, name in (
        (report.attendees_company, "出席者氏名（支援企業）", "attendeesCompany"),
        (report.attendees_organization, "出席者氏名（支援機関）", "attendeesOrganization"),
        (report.attendees_others, "出席者氏名その他", "attendeesOthers"),
    ):
        if is_blank(value):
            errors.required(
                f"{label}を入力してください（該当者がいない場合は「{NOBODY}」）。", name
            )
        errors.text(value, label, ATTENDEES_MAX_LENGTH, name)
    errors.text(report.support_content_1, "支援内容（1）", long, "supportContent1", required=True)
    errors.text(report.support_content_2, "支援内容（2）", long, "supportContent2")
    errors.text(report.support_content_3, "支援内容（3）", long, "supportContent3")
    errors.text(report.comment_to_secretariat, "事務局へのコメント", long, "commentToSecretariat")
    errors.choice(report.accompanied, "同行の有無", "accompanied")
    errors.choice(report.further_visits_needed, "2回目・3回目の支援の必要性", "furtherVisitsNeeded")
    errors.text(
        report.further_visits_reason,
        "2回目・3回目の支援が必要な理由",
        long,
        "furtherVisitsReason",
        required=report.further_visits_needed is True,
    )
    errors.choice(report.survey_cooperation, "満足度調査等への協力可否", "surveyCooperation")

    travel: TravelCheck | None = None
    if report.travel is not None:
        if report.dispatch_date is not None:
            dispatch_day: date | None = report.dispatch_date
        else:
            dispatch_day = tokyo_date(report.start_at) if report.start_at is not None else None
        travel = check_travel_claim(
            report.travel,
            dispatch_date=dispatch_day,
            rates=rates,
            attached=attached,
            for_submission=for_submission,
        )
        errors.extend(travel.errors, "travel")
    return ReportCheck(errors.as_tuple(), billable, travel)
