"""Per-fiscal-year configuration: every value marked *(config)* in domain.md."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class FiscalYearConfig(Model):
    """Settings of one fiscal year (April 1 – March 31), edited by the national secretariat."""

    id = fields.IntField(primary_key=True)
    fiscal_year = fields.SmallIntField(unique=True)
    # Honorarium (§7.1): price of one 30-minute unit and the per-specialist daily cap, in yen.
    price_per_30min = fields.IntField(default=2640)
    daily_cap = fields.IntField(default=31680)
    # Company limit (§4.1): counted cases per company and FY.
    company_limit = fields.SmallIntField(default=3)
    company_limit_it = fields.SmallIntField(default=5)
    last_dispatch_day = fields.DateField()
    report_due_business_days = fields.SmallIntField(default=5)
    reminder_business_days = fields.SmallIntField(default=3)
    request_reminder_business_days = fields.SmallIntField(default=3)
    # Withholding in basis points of a hundredth percent: 1021 = 10.21 %.
    withholding_rate_bp = fields.IntField(default=1021)
    per_diem = fields.IntField(default=2200)
    lodging = fields.IntField(default=10900)
    limited_express_min_km = fields.IntField(default=100)
    upload_limit_bytes = fields.IntField(default=10 * 1024 * 1024)
    # Daily window as minutes after midnight (Asia/Tokyo): 09:00–17:00.
    default_available_from_min = fields.SmallIntField(default=9 * 60)
    default_available_to_min = fields.SmallIntField(default=17 * 60)
    default_days_off: list[Any] = fields.JSONField(default=[5, 6])
    holiday_horizon_months = fields.SmallIntField(default=3)
    national_holidays_off_default = fields.BooleanField(default=True)
    checkin_distance_m = fields.IntField(default=1000)
    checkin_tolerance_min = fields.SmallIntField(default=30)
    report_time_tolerance_min = fields.SmallIntField(default=15)
    support_text_max_length = fields.IntField(default=2000)
    retention_years = fields.SmallIntField(default=5)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "fiscal_year_config"
        ordering = ("fiscal_year",)
        constraints = (
            CheckConstraint(
                check="price_per_30min >= 0 AND daily_cap >= 0 AND per_diem >= 0 AND lodging >= 0",
                name="ck_fiscal_amounts_nonneg",
            ),
            CheckConstraint(
                check="company_limit >= 0 AND company_limit_it >= company_limit",
                name="ck_fiscal_limits",
            ),
            CheckConstraint(
                check="withholding_rate_bp BETWEEN 0 AND 10000", name="ck_fiscal_withholding"
            ),
        )
