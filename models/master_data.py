"""Master data of domain.md §2: offices, prefectures, master lists and fiscal-year settings.

:func:`load_master_data` is idempotent: rows are upserted by their code (prefectures by JIS code),
so a second run changes nothing. Fiscal-year settings are only created when missing — once a year
exists it belongs to the national secretariat and is never overwritten here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.masters import CancelCategory, DeclineReason, Industry, IssueCategory, Qualification
from models.rules.errors import ErrorCode, FieldError, NotFound, ValidationErrors
from models.rules.fiscal_year import default_last_dispatch_day


@dataclass(frozen=True)
class OfficeRow:
    code: str
    name: str
    email: str
    phone: str
    postal_code: str
    address: str
    prefectures: tuple[int, ...]  # JIS codes


#: The eight regional offices of seed 000's last page (事務処理機関 contacts).
OFFICES: tuple[OfficeRow, ...] = (
    OfficeRow("HOKKAIDO", "北海道事務局", "nw_hkd@pasona.co.jp", "011-213-0126", "060-0005",
              "北海道札幌市中央区北5条西2-5 JRタワーオフィスプラザさっぽろ16F", (1,)),
    OfficeRow("TOHOKU", "東北事務局", "nw_touhoku@pasona.co.jp", "022-796-0371", "980-8485",
              "宮城県仙台市青葉区中央1-2-3 仙台マークワン18F", (2, 3, 4, 5, 6, 7)),
    # Non-obvious (seed 000): 新潟・山梨・長野・静岡 belong to 関東.
    OfficeRow("KANTO", "関東事務局", "nw_kantou@pasona.co.jp", "048-783-2891", "330-0802",
              "埼玉県さいたま市大宮区宮町2-10 尾熊ビル4F",
              (8, 9, 10, 11, 12, 13, 14, 15, 19, 20, 22)),
    OfficeRow("CHUBU", "中部事務局", "nw_chubu@pasona.co.jp", "052-414-7341", "450-6042",
              "愛知県名古屋市中村区名駅1-1-4 JRセントラルタワーズ42F", (16, 17, 21, 23, 24)),
    # Non-obvious (seed 000): 福井 belongs to 近畿.
    OfficeRow("KINKI", "近畿事務局", "nw_kinki@pasona.co.jp", "06-4708-8275", "541-0047",
              "大阪市中央区淡路町4-2-15 UD御堂筋ビル3F", (18, 25, 26, 27, 28, 29, 30)),
    OfficeRow("CHUGOKU", "中国事務局", "nw_chugoku@pasona.co.jp", "082-569-6731", "730-0031",
              "広島県広島市中区紙屋町1-1-17 広島ミッドタウンビル8F", (31, 32, 33, 34, 35)),
    OfficeRow("SHIKOKU", "四国事務局", "nw_shikoku@pasona.co.jp", "087-802-2781", "760-0050",
              "香川県高松市亀井町2-1 朝日生命高松ビル1F", (36, 37, 38, 39)),
    OfficeRow("KYUSHU", "九州・沖縄事務局", "nw_kyushu@pasona.co.jp", "092-406-5617", "810-0001",
              "福岡県福岡市中央区天神1-6-8 天神ツインビル10F",
              (40, 41, 42, 43, 44, 45, 46, 47)),
)  # fmt: skip

#: 都道府県 by JIS X 0401 code (the primary key of :class:`Prefecture`).
PREFECTURES: tuple[tuple[int, str], ...] = (
    (1, "北海道"), (2, "青森県"), (3, "岩手県"), (4, "宮城県"), (5, "秋田県"), (6, "山形県"),
    (7, "福島県"), (8, "茨城県"), (9, "栃木県"), (10, "群馬県"), (11, "埼玉県"), (12, "千葉県"),
    (13, "東京都"), (14, "神奈川県"), (15, "新潟県"), (16, "富山県"), (17, "石川県"),
    (18, "福井県"), (19, "山梨県"), (20, "長野県"), (21, "岐阜県"), (22, "静岡県"), (23, "愛知県"),
    (24, "三重県"), (25, "滋賀県"), (26, "京都府"), (27, "大阪府"), (28, "兵庫県"), (29, "奈良県"),
    (30, "和歌山県"), (31, "鳥取県"), (32, "島根県"), (33, "岡山県"), (34, "広島県"),
    (35, "山口県"), (36, "徳島県"), (37, "香川県"), (38, "愛媛県"), (39, "高知県"), (40, "福岡県"),
    (41, "佐賀県"), (42, "長崎県"), (43, "熊本県"), (44, "大分県"), (45, "宮崎県"),
    (46, "鹿児島県"), (47, "沖縄県"),
)  # fmt: skip

#: 支援課題: (code, name, is_it, requires_detail).
ISSUE_CATEGORIES: tuple[tuple[str, str, bool, bool], ...] = (
    ("STRATEGY", "経営戦略・事業計画", False, False),
    ("SALES", "販路開拓・マーケティング", False, False),
    ("FINANCE", "財務・会計・資金繰り", False, False),
    ("HR", "人材・労務", False, False),
    ("IT", "IT・デジタル化", True, False),
    ("SUCCESSION", "事業承継", False, False),
    ("STARTUP", "創業", False, False),
    ("OVERSEAS", "海外展開", False, False),
    ("IP", "知的財産", False, False),
    ("PRODUCTION", "生産・技術・品質管理", False, False),
    ("LEGAL", "法務", False, False),
    ("COVID19", "新型コロナウイルス対応", False, False),
    ("OTHER", "その他の経営課題", False, True),
)

#: 資格: (code, name, requires_name, is_public).
QUALIFICATIONS: tuple[tuple[str, str, bool, bool], ...] = (
    ("SME_CONSULTANT", "中小企業診断士", False, True),
    ("TAX_ACCOUNTANT", "税理士", False, True),
    ("CPA", "公認会計士", False, True),
    ("LAWYER", "弁護士", False, True),
    ("ENGINEER", "技術士", False, True),
    ("LABOR_CONSULTANT", "社会保険労務士", False, True),
    ("ADMIN_SCRIVENER", "行政書士", False, True),
    ("PATENT_ATTORNEY", "弁理士", False, True),
    ("JUDICIAL_SCRIVENER", "司法書士", False, True),
    ("IT_COORDINATOR", "ITコーディネータ", False, False),
    ("OTHER", "その他", True, False),
)

#: 日本標準産業分類 大分類 A–T: (code, name).
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("A", "農業，林業"),
    ("B", "漁業"),
    ("C", "鉱業，採石業，砂利採取業"),
    ("D", "建設業"),
    ("E", "製造業"),
    ("F", "電気・ガス・熱供給・水道業"),
    ("G", "情報通信業"),
    ("H", "運輸業，郵便業"),
    ("I", "卸売業，小売業"),
    ("J", "金融業，保険業"),
    ("K", "不動産業，物品賃貸業"),
    ("L", "学術研究，専門・技術サービス業"),
    ("M", "宿泊業，飲食サービス業"),
    ("N", "生活関連サービス業，娯楽業"),
    ("O", "教育，学習支援業"),
    ("P", "医療，福祉"),
    ("Q", "複合サービス事業"),
    ("R", "サービス業（他に分類されないもの）"),
    ("S", "公務（他に分類されるものを除く）"),
    ("T", "分類不能の産業"),
)

#: 辞退理由: (code, name).
DECLINE_REASONS: tuple[tuple[str, str], ...] = (
    ("SCHEDULE", "日程が合わない"),
    ("OUT_OF_FIELD", "専門分野外"),
    ("CONFLICT_OF_INTEREST", "利害関係がある"),
    ("TOO_FAR", "遠方のため対応不可"),
    ("OTHER", "その他"),
)

#: キャンセル区分: (code, name).
CANCEL_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("SPECIALIST_UNAVAILABLE", "専門家の体調不良・急用"),
    ("COMPANY_REASON", "企業都合"),
    ("WEATHER_DISASTER", "天候・災害"),
    ("RESCHEDULE", "日程変更のため"),
    ("OTHER", "その他"),
)

#: Fiscal years prepared by :func:`load_master_data` (rates and limits of domain.md §4.1, §7.1).
FISCAL_YEARS: tuple[int, ...] = (2025, 2026, 2027)
PRICE_PER_30MIN = 2640
DAILY_CAP = 31680
COMPANY_LIMIT = 3
COMPANY_LIMIT_IT = 5


async def _upsert(model: type[Model], key: dict[str, Any], values: dict[str, Any]) -> None:
    """Create the row identified by ``key`` or bring its ``values`` up to date (no-op if equal)."""
    row = await model.filter(**key).first()
    if row is None:
        await model.create(**key, **values)
        return
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        await row.save(update_fields=changed)


async def _load_offices_and_prefectures() -> None:
    for order, office in enumerate(OFFICES, start=1):
        await _upsert(
            RegionalOffice,
            {"code": office.code},
            {
                "name": office.name,
                "email": office.email,
                "phone": office.phone,
                "postal_code": office.postal_code,
                "address": office.address,
                "sort_order": order,
            },
        )
    office_ids = dict(await RegionalOffice.all().values_list("code", "id"))
    office_of = {pref: office.code for office in OFFICES for pref in office.prefectures}
    for jis, name in PREFECTURES:
        await _upsert(
            Prefecture, {"id": jis}, {"name": name, "office_id": office_ids[office_of[jis]]}
        )


async def _load_lists() -> None:
    for order, (code, name, is_it, requires_detail) in enumerate(ISSUE_CATEGORIES, start=1):
        await _upsert(
            IssueCategory,
            {"code": code},
            {"name": name, "is_it": is_it, "requires_detail": requires_detail, "sort_order": order},
        )
    for order, (code, name, requires_name, is_public) in enumerate(QUALIFICATIONS, start=1):
        await _upsert(
            Qualification,
            {"code": code},
            {
                "name": name,
                "requires_name": requires_name,
                "is_public": is_public,
                "sort_order": order,
            },
        )
    for order, (code, name) in enumerate(INDUSTRIES, start=1):
        await _upsert(Industry, {"code": code}, {"name": name, "sort_order": order})
    for order, (code, name) in enumerate(DECLINE_REASONS, start=1):
        await _upsert(DeclineReason, {"code": code}, {"name": name, "sort_order": order})
    for order, (code, name) in enumerate(CANCEL_CATEGORIES, start=1):
        await _upsert(CancelCategory, {"code": code}, {"name": name, "sort_order": order})


async def _load_fiscal_years() -> None:
    for fy in FISCAL_YEARS:
        if not await FiscalYearConfig.exists(fiscal_year=fy):
            await FiscalYearConfig.create(
                fiscal_year=fy,
                price_per_30min=PRICE_PER_30MIN,
                daily_cap=DAILY_CAP,
                company_limit=COMPANY_LIMIT,
                company_limit_it=COMPANY_LIMIT_IT,
                last_dispatch_day=default_last_dispatch_day(fy),
            )


async def load_master_data() -> None:
    """Insert or update every master row; running it twice changes nothing."""
    async with in_transaction():
        await _load_offices_and_prefectures()
        await _load_lists()
        await _load_fiscal_years()


#: Columns that are not copied from one fiscal year to the next.
_NOT_COPIED = frozenset({"id", "fiscal_year", "last_dispatch_day", "updated_at"})


async def copy_fiscal_year(source: int, target: int) -> FiscalYearConfig:
    """Prepare fiscal year ``target`` as a copy of ``source`` (domain.md §10: "a new FY can be
    prepared by copying the previous one"). The last dispatch day moves to Feb 28/29 of the
    target year; every other setting is copied unchanged."""
    original = await FiscalYearConfig.get_or_none(fiscal_year=source)
    if original is None:
        raise NotFound(f"{source}年度の設定が見つかりません。", ("input", "sourceFiscalYear"))
    if await FiscalYearConfig.exists(fiscal_year=target):
        raise ValidationErrors(
            [
                FieldError(
                    ErrorCode.DUPLICATE,
                    f"{target}年度の設定は既に存在します。",
                    ("input", "targetFiscalYear"),
                )
            ]
        )
    values = {
        name: getattr(original, name)
        for name in FiscalYearConfig._meta.db_fields
        if name not in _NOT_COPIED
    }
    return await FiscalYearConfig.create(
        fiscal_year=target, last_dispatch_day=default_last_dispatch_day(target), **values
    )
