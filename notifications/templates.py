"""Japanese mail templates for the catalogue of domain.md §8, laid out like seed 000's two mails.

Every mail has: a heading between rules (the seed's 件名 line), the auto-send/no-reply notice, the
addressee with 様, the 事務処理機関 greeting, the event's lead text, the case block (派遣依頼予約番号,
受付日時, 企業名, 地域プラットフォーム名, 派遣依頼タイトル, 派遣希望日 or 決定日時), the link, the
"ご不明な点は…" and "お心当たりのない方は…" paragraphs, and the responsible regional office's
contact as the signature. Registration mails carry the specialist block instead of the case
block; the dead-letter alert (to the secretariat) names the failed mail.

Templates render from the JSON ``context`` stored on the outbox row (plain strings, instants
already written in Asia/Tokyo by :mod:`notifications.fanout`), so rendering is pure and a queued
mail renders the same whenever it is sent. The secretariat-only decline text is never in a
context: a template cannot leak what it is not given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from models.rules.events import EventKind
from models.rules.notifications import Audience

Context = Mapping[str, Any]
Lines = list[str]

RULE = "━" * 29
NOTICE = "※このメールは自動送信メールです。このメールには返信出来ません。"
SIGNATURE_TITLE = "専門家派遣事業 事務処理機関"
OFFICE_HOURS = "受付　：9:00～17:00（土・日・祝日・年末年始除く）"
SUBJECT_PREFIX = "【専門家派遣】"
DEAD_LETTER = "OUTBOX_DEAD_LETTER"
DIRECT_FILING = "（企業からの直接申請）"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


@dataclass(frozen=True)
class MailTemplate:
    """One mail: ``heading`` (the seed's title line), ``lead`` (what happened, what to do),
    ``extra`` (event details before the case block), ``after`` (after it), ``cta`` (the line
    above the link). ``block`` chooses the case, specialist or failed-mail block."""

    code: str
    heading: Callable[[Context], str]
    lead: Callable[[Context], Lines]
    cta: Callable[[Context], str]
    extra: Callable[[Context], Lines] = lambda ctx: []
    after: Callable[[Context], Lines] = lambda ctx: []
    block: str = "case"


def _audience(ctx: Context) -> Audience:
    return Audience(str(ctx.get("audience", Audience.SPECIALIST.value)))


def _detail(ctx: Context, key: str) -> str:
    value = (ctx.get("detail") or {}).get(key)
    return "" if value is None else str(value)


def _fixed(text: str) -> Callable[[Context], str]:
    return lambda ctx: text


def _lines(*texts: str) -> Callable[[Context], Lines]:
    return lambda ctx: list(texts)


def _labelled(label: str, value: str) -> Lines:
    return [f"{label}{value}"] if value.strip() else []


CHECK = "以下のURLより、内容をご確認ください。"
ACT_ON_REQUEST = "以下のURLより、内容をご確認頂き、派遣日時確定等の手続きを行って下さい。"


# ---------------------------------------------------------------- case templates


def _confirmed_lead(ctx: Context) -> Lines:
    if _audience(ctx) is Audience.SPECIALIST:
        return ["下記の専門家派遣の日程が決定しました。", "当日はどうぞよろしくお願い致します。"]
    return ["下記の専門家派遣申請につき、派遣日程が決定しました。"]


def _proposed_after(ctx: Context) -> Lines:
    proposed = list((ctx.get("case") or {}).get("proposed") or [])
    lines = [f"専門家からの提案日時：{proposed[0]}" if proposed else "専門家からの提案日時："]
    lines += [f"　　　　　　　　　　　{slot}" for slot in proposed[1:]]
    return lines + _labelled("専門家からのコメント：", _detail(ctx, "comment"))


def _coordination_lead(ctx: Context) -> Lines:
    if _detail(ctx, "reason") == "EXPIRED":
        why = "下記の専門家派遣申請は、回答のないまま候補日時がすべて経過したため「要調整」となりました。"
    else:
        why = (
            "下記の専門家派遣申請につき、依頼者が専門家からの提案日時を承諾しなかったため"
            "「要調整」となりました。"
        )
    if _audience(ctx) is Audience.SECRETARIAT:
        return [why, "派遣日時の調整をお願い致します。"]
    return [why, "事務局にて派遣日時を調整いたしますので、しばらくお待ち下さい。"]


def _declined_extra(ctx: Context) -> Lines:
    return _labelled("辞退理由：", _detail(ctx, "decline_category")) + _labelled(
        "専門家からのコメント：", _detail(ctx, "decline_comment")
    )


def _cancelled_lead(ctx: Context) -> Lines:
    who = _detail(ctx, "cancelled_by") or "関係者"
    return [f"下記の専門家派遣申請につき、{who}からキャンセルの連絡が入りました。"]


def _cancelled_extra(ctx: Context) -> Lines:
    return _labelled("キャンセル区分：", _detail(ctx, "cancel_category")) + _labelled(
        "キャンセル理由：", _detail(ctx, "cancel_reason")
    )


def _due_after(ctx: Context) -> Lines:
    return _labelled("実績報告の提出期限：", _detail(ctx, "due_at"))


def _reported_heading(ctx: Context) -> str:
    return "実績報告の提出" if _audience(ctx) is Audience.SECRETARIAT else "評価のお願い"


def _reported_lead(ctx: Context) -> Lines:
    if _audience(ctx) is Audience.SECRETARIAT:
        return [
            "下記の専門家派遣につき、専門家から実績報告が提出されました。",
            "内容のご確認をお願い致します。",
        ]
    return [
        "下記の専門家派遣につき、専門家から実績報告が提出されました。",
        "派遣についての評価のご登録をお願い致します。",
    ]


def _reported_cta(ctx: Context) -> str:
    if _audience(ctx) is Audience.SECRETARIAT:
        return "以下のURLより、実績報告の内容をご確認ください。"
    return "以下のURLより、評価の登録を行って下さい。"


def _returned_extra(ctx: Context) -> Lines:
    return _labelled("差戻し理由：", _detail(ctx, "comment"))


# ---------------------------------------------------------------- registration


#: What the addressee is asked to do, by (audience, new registration status).
_ACTION_BY_STATUS: Mapping[tuple[Audience, str], str] = {
    (Audience.ORGANIZATION, "PENDING_ORG_APPROVAL"): "面談のうえ、承認の手続きをお願い致します。",
    (Audience.SECRETARIAT, "PENDING_SECRETARIAT_APPROVAL"): "登録審査の手続きをお願い致します。",
    (Audience.SPECIALIST, "REGISTERED"): "委嘱条件をご確認のうえ、同意をお願い致します。",
    (Audience.SPECIALIST, "DRAFT"): "内容を修正のうえ、再度申請をお願い致します。",
}


def _registration_lead(ctx: Context) -> Lines:
    specialist = ctx.get("specialist") or {}
    status_label = str(specialist.get("status_label", ""))
    audience = _audience(ctx)
    if audience is Audience.SPECIALIST:
        lines = [f"専門家登録の状況が「{status_label}」となりました。"]
    else:
        name = str(specialist.get("name", ""))
        lines = [f"{name}様の専門家登録の状況が「{status_label}」となりました。"]
    action = _ACTION_BY_STATUS.get((audience, str(specialist.get("status", ""))))
    return [*lines, action] if action else lines


def _registration_heading(ctx: Context) -> str:
    return "専門家登録の手続き"


# ---------------------------------------------------------------- dead letter


def _dead_letter_extra(ctx: Context) -> Lines:
    failed = ctx.get("failed") or {}
    return [
        f"メールの種類：{failed.get('template_label', failed.get('template', ''))}",
        f"宛先：{failed.get('to_address', '')}",
        f"Message-ID：{failed.get('message_id', '')}",
        f"試行回数：{failed.get('attempts', '')}",
        f"エラー：{failed.get('last_error', '')}",
    ]


TEMPLATES: Mapping[str, MailTemplate] = {
    t.code: t
    for t in (
        MailTemplate(
            EventKind.CASE_FILED.value,
            _fixed("専門家派遣申請"),
            _lines("次の通り、企業から専門家派遣が申請されました。"),
            _fixed(ACT_ON_REQUEST),
        ),
        MailTemplate(
            EventKind.CASE_CONFIRMED.value, _fixed("派遣日程決定"), _confirmed_lead, _fixed(CHECK)
        ),
        MailTemplate(
            EventKind.CASE_DATES_PROPOSED.value,
            _fixed("日程調整のお願い"),
            _lines("下記の専門家派遣申請につき、専門家から別の派遣日時の提案がありました。"),
            _fixed("以下のURLより、提案日時の承諾または不承諾の手続きを行って下さい。"),
            after=_proposed_after,
        ),
        MailTemplate(
            EventKind.CASE_NEEDS_COORDINATION.value,
            _fixed("事務局による日程調整（要調整）"),
            _coordination_lead,
            _fixed(CHECK),
            extra=lambda ctx: _labelled("依頼者からのコメント：", _detail(ctx, "comment")),
        ),
        MailTemplate(
            EventKind.CASE_DECLINED.value,
            _fixed("専門家派遣辞退"),
            _lines("下記の専門家派遣申請につき、専門家から辞退の連絡が入りました。"),
            _fixed("以下のURLより、内容をご確認ください。別の専門家への申請もご検討下さい。"),
            extra=_declined_extra,
        ),
        MailTemplate(
            EventKind.CASE_CANCELLED.value,
            _fixed("専門家派遣キャンセル"),
            _cancelled_lead,
            _fixed(CHECK),
            extra=_cancelled_extra,
        ),
        MailTemplate(
            EventKind.REPORT_DUE_REMINDER.value,
            _fixed("実績報告の提出期限のお知らせ"),
            _lines(
                "下記の専門家派遣の実績報告がまだ提出されていません。",
                "提出期限までに実績報告をお願い致します。",
            ),
            _fixed("以下のURLより、実績報告を行って下さい。"),
            after=_due_after,
        ),
        MailTemplate(
            EventKind.REPORT_OVERDUE_REMINDER.value,
            _fixed("実績報告の提出期限超過"),
            _lines(
                "下記の専門家派遣の実績報告が、提出期限を過ぎても提出されていません。",
                "至急、実績報告をお願い致します。",
            ),
            _fixed("以下のURLより、実績報告を行って下さい。"),
            after=_due_after,
        ),
        MailTemplate(
            EventKind.CASE_REPORTED.value,
            _reported_heading,
            _reported_lead,
            _reported_cta,
        ),
        MailTemplate(
            EventKind.REPORT_RETURNED.value,
            _fixed("実績報告の差戻し"),
            _lines(
                "下記の専門家派遣の実績報告が、事務局から差し戻されました。",
                "内容を修正のうえ、再度提出をお願い致します。",
            ),
            _fixed("以下のURLより、実績報告の修正を行って下さい。"),
            extra=_returned_extra,
        ),
        MailTemplate(
            EventKind.CASE_COMPLETED.value,
            _fixed("専門家派遣完了"),
            _lines(
                "下記の専門家派遣につき、評価が登録され「完了」となりました。",
                "ご対応ありがとうございました。",
            ),
            _fixed(CHECK),
        ),
        MailTemplate(
            EventKind.UNANSWERED_REMINDER.value,
            _fixed("未回答の派遣依頼のお知らせ"),
            _lines("下記の専門家派遣申請に、まだご回答いただいておりません。"),
            _fixed(ACT_ON_REQUEST),
        ),
        MailTemplate(
            EventKind.REGISTRATION_CHANGED.value,
            _registration_heading,
            _registration_lead,
            _fixed("以下のURLより、登録内容をご確認ください。"),
            block="specialist",
        ),
        MailTemplate(
            DEAD_LETTER,
            _fixed("メール送信失敗（要対応）"),
            _lines(
                "次のメールを送信できませんでした（送信失敗として保留中です）。",
                "宛先等をご確認のうえ、管理画面から再送の手続きを行って下さい。",
            ),
            _fixed("以下のURLより、送信状況をご確認ください。"),
            extra=_dead_letter_extra,
            block="failed",
        ),
    )
}


def template_heading(code: str, context: Context | None = None) -> str:
    """The heading (title line) of a template, e.g. for listing outbox rows."""
    template = TEMPLATES.get(code)
    return template.heading(context or {}) if template is not None else code


def _case_block(ctx: Context) -> Lines:
    case = ctx.get("case") or {}
    lines = [
        f"派遣依頼予約番号:{case.get('reservation_number', '')}",
        "",
        f"受付日時:{case.get('received_at', '')}",
        "",
        f"企業名:{case.get('company_name', '')}",
        f"地域プラットフォーム名：{case.get('platform_name') or DIRECT_FILING}",
        "",
        f"派遣依頼タイトル:{case.get('title', '')}",
    ]
    if _audience(ctx) is not Audience.SPECIALIST and case.get("specialist_name"):
        lines.append(f"専門家名：{case['specialist_name']}")
    lines.append("")
    decided = str(case.get("decided") or "")
    if decided:
        lines.append(f"決定日時：{decided}")
    else:
        wished = [str(s) for s in case.get("wished") or []] or ["（未定）"]
        lines.append(f"派遣希望日：{wished[0]}")
        lines += [f"　　　　　　{slot}" for slot in wished[1:]]
    return lines


def _specialist_block(ctx: Context) -> Lines:
    specialist = ctx.get("specialist") or {}
    lines = [
        f"専門家名：{specialist.get('name', '')}",
        f"登録状況：{specialist.get('status_label', '')}",
    ]
    lines += _labelled("推薦支援機関：", str(specialist.get("organization_name") or ""))
    lines += _labelled("理由・連絡事項：", str(specialist.get("reason") or ""))
    return lines


def _signature(ctx: Context) -> Lines:
    office = ctx.get("office") or {}
    return [
        RULE,
        SIGNATURE_TITLE,
        str(office.get("name", "")),
        f"メール：{office.get('email', '')}",
        f"電話　：{office.get('phone', '')}",
        f"住所　：〒{office.get('postal_code', '')} {office.get('address', '')}",
        OFFICE_HOURS,
        RULE,
    ]


def _subject(template: MailTemplate, ctx: Context) -> str:
    heading = template.heading(ctx)
    if template.block == "case":
        number = (ctx.get("case") or {}).get("reservation_number", "")
        return f"{SUBJECT_PREFIX}{heading}（派遣依頼予約番号:{number}）"
    if template.block == "specialist":
        status_label = (ctx.get("specialist") or {}).get("status_label", "")
        return f"{SUBJECT_PREFIX}{heading}（{status_label}）"
    failed = ctx.get("failed") or {}
    return f"【要対応】{heading}（{failed.get('template_label', failed.get('template', ''))}）"


def render(code: str, context: Context) -> RenderedMail:
    """Subject and plain-text body of template ``code`` for one recipient's ``context``."""
    template = TEMPLATES[code]
    office = context.get("office") or {}
    body: Lines = [
        RULE,
        template.heading(context),
        RULE,
        NOTICE,
        "",
        f"{context.get('addressee', '')}様",
        "",
        "いつも大変お世話になっております。",
        f"専門家派遣事業、事務処理機関の{office.get('name', '事務局')}でございます。",
        "",
        *template.lead(context),
        "",
    ]
    extra = template.extra(context)
    if extra:
        body += [*extra, ""]
    if template.block == "case":
        body += [*_case_block(context), ""]
    elif template.block == "specialist":
        body += [*_specialist_block(context), ""]
    after = template.after(context)
    if after:
        body += [*after, ""]
    body += [
        template.cta(context),
        str(context.get("link", "")),
        "",
        "ご不明な点は、下記事務局まで連絡をお願い致します。",
        "",
        "このメールにお心当たりのない方は、お手数をお掛け致しますが、",
        "下記事務局までご連絡下さいますようお願い申し上げます。",
        "",
        *_signature(context),
    ]
    return RenderedMail(subject=_subject(template, context), body="\n".join(body) + "\n")
