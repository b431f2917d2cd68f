"""Reports (実績報告), drafts and travel claims (旅費) — domain.md §5."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.money_kinds import ReviewState, TransportMode

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.cases import DispatchCase
    from models.masters import IssueCategory, Qualification


class ReportDraft(Model):
    """One draft per case, each save overwrites it (seed 000 「記入内容を一時保存する」)."""

    id = fields.IntField(primary_key=True)
    case: fields.OneToOneRelation[DispatchCase] = fields.OneToOneField(
        "models.DispatchCase", related_name="report_draft", on_delete=fields.CASCADE
    )
    content: dict[str, Any] = fields.JSONField(default={})
    saved_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "report_draft"


class Report(Model):
    """The submitted report of a case with its own review state."""

    id = fields.IntField(primary_key=True)
    case: fields.OneToOneRelation[DispatchCase] = fields.OneToOneField(
        "models.DispatchCase", related_name="report", on_delete=fields.CASCADE
    )
    review_state = fields.CharEnumField(ReviewState, max_length=16, default=ReviewState.SUBMITTED)
    dispatch_date = fields.DateField()
    start_at = fields.DatetimeField()
    end_at = fields.DatetimeField()
    non_billable_minutes = fields.IntField(default=0)
    non_billable_remark = fields.TextField(default="")
    issue_category: fields.ForeignKeyRelation[IssueCategory] = fields.ForeignKeyField(
        "models.IssueCategory", related_name="reports", on_delete=fields.RESTRICT
    )
    issue_detail = fields.TextField(default="")
    issue_note = fields.TextField(default="")
    company_request = fields.TextField()
    main_qualification: fields.ForeignKeyRelation[Qualification] = fields.ForeignKeyField(
        "models.Qualification", related_name="reports", on_delete=fields.RESTRICT
    )
    main_qualification_other = fields.CharField(max_length=64, default="")
    platform_staff = fields.CharField(max_length=64, default="")
    attendees_company = fields.CharField(max_length=255)
    attendees_organization = fields.CharField(max_length=255)
    attendees_others = fields.CharField(max_length=255)
    support_content_1 = fields.TextField()
    support_content_2 = fields.TextField(default="")
    support_content_3 = fields.TextField(default="")
    comment_to_secretariat = fields.TextField(default="")
    accompanied = fields.BooleanField()
    further_visits_needed = fields.BooleanField()
    further_visits_reason = fields.TextField(default="")
    survey_cooperation = fields.BooleanField()
    anomalies: list[Any] = fields.JSONField(
        default=[]
    )  # check-in/out flags attached for the secretariat
    submitted_at = fields.DatetimeField()
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="reviewed_reports", null=True, on_delete=fields.RESTRICT
    )
    review_comment = fields.TextField(default="")

    class Meta:
        table = "report"
        constraints = (
            CheckConstraint(check="end_at > start_at", name="ck_report_window"),
            CheckConstraint(check="non_billable_minutes >= 0", name="ck_report_non_billable"),
        )


class TravelClaim(Model):
    id = fields.IntField(primary_key=True)
    report: fields.OneToOneRelation[Report] = fields.OneToOneField(
        "models.Report", related_name="travel", on_delete=fields.CASCADE
    )
    place = fields.CharField(max_length=200)
    address = fields.CharField(max_length=255)
    purpose = fields.TextField()
    trip_start = fields.DateField(null=True)
    trip_end = fields.DateField(null=True)
    per_diem_days: list[Any] = fields.JSONField(default=[])  # ISO dates
    lodging_nights: list[Any] = fields.JSONField(default=[])
    per_diem_amount = fields.IntField(default=0)
    lodging_amount = fields.IntField(default=0)
    transport_amount = fields.IntField(default=0)
    total_amount = fields.IntField(default=0)

    class Meta:
        table = "travel_claim"
        constraints = (
            CheckConstraint(
                check="per_diem_amount >= 0 AND lodging_amount >= 0 AND transport_amount >= 0 "
                "AND total_amount >= 0",
                name="ck_travel_amounts",
            ),
            CheckConstraint(
                check="trip_end IS NULL OR trip_start IS NULL OR trip_end >= trip_start",
                name="ck_travel_trip",
            ),
        )


class TravelLine(Model):
    id = fields.IntField(primary_key=True)
    claim: fields.ForeignKeyRelation[TravelClaim] = fields.ForeignKeyField(
        "models.TravelClaim", related_name="lines", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField()
    mode = fields.CharEnumField(TransportMode, max_length=24)
    from_place = fields.CharField(max_length=100)
    to_place = fields.CharField(max_length=100)
    round_trip = fields.BooleanField(default=False)
    one_way_fare = fields.IntField()
    distance_km = fields.IntField(null=True)
    amount = fields.IntField()

    class Meta:
        table = "travel_line"
        unique_together = (("claim", "position"),)
        constraints = (
            CheckConstraint(check="one_way_fare >= 0 AND amount >= 0", name="ck_line_amounts"),
            CheckConstraint(
                check="distance_km IS NULL OR distance_km >= 0", name="ck_line_distance"
            ),
        )


class TravelLineCorrection(Model):
    """A secretariat correction of a line, the original stays on the line row (who/why kept)."""

    id = fields.IntField(primary_key=True)
    line: fields.ForeignKeyRelation[TravelLine] = fields.ForeignKeyField(
        "models.TravelLine", related_name="corrections", on_delete=fields.CASCADE
    )
    original_amount = fields.IntField()
    corrected_amount = fields.IntField()
    corrected_fields: dict[str, Any] = fields.JSONField(default={})
    reason = fields.TextField()
    corrected_by: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="line_corrections", on_delete=fields.RESTRICT
    )
    corrected_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "travel_line_correction"
        constraints = (
            CheckConstraint(
                check="original_amount >= 0 AND corrected_amount >= 0", name="ck_correction_amounts"
            ),
        )
