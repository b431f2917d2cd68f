"""Document use cases (domain.md §5, §11, §12): storing uploads by content hash, who downloads
what, claiming an upload for a mutation, and paper documents received by post."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from auth.principal import Principal
from models.audit import AuditEvent
from models.documents import Document
from models.fiscal import FiscalYearConfig
from models.outbox import DomainEvent
from models.rules.errors import ErrorCode, Forbidden, NotFound
from models.rules.events import EventKind
from models.rules.money_kinds import DocumentKind
from models.rules.uploads import JPEG, PDF, PNG
from models.specialists import Specialist
from resolvers.documents import (
    DocumentKindMismatch,
    FileTooLarge,
    UnsupportedFileType,
    attach_to_case,
    can_download,
    claim_document,
    content_path,
    document_for_download,
    mark_received,
    store_upload,
)
from tests.factories import BASE, World, build_world, make_document
from tests.file_samples import IMPOSTORS, SAMPLES, leftovers, stored_files, tiny_png

LIMIT = 10 * 1024 * 1024


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


async def upload(
    principal: Principal,
    upload_dir: Path,
    content: bytes,
    *,
    kind: DocumentKind = DocumentKind.FORM8,
    filename: str = "form8.pdf",
    case_id: int | None = None,
    max_bytes: int = LIMIT,
) -> Document:
    return await store_upload(
        principal,
        io.BytesIO(content),
        filename=filename,
        kind=kind,
        case_id=case_id,
        upload_dir=upload_dir,
        max_bytes=max_bytes,
        now=BASE,
    )


# ---------------------------------------------------------------- storing


@pytest.mark.parametrize("content_type", [PDF, JPEG, PNG])
async def test_an_accepted_file_is_stored_by_its_hash(
    world: World, tmp_path: Path, content_type: str
) -> None:
    # given a tiny file of an accepted type, named after another type
    content, _ = SAMPLES[content_type]
    # when the specialist uploads it as a receipt
    document = await upload(
        world.specialist_s1_user, tmp_path, content, kind=DocumentKind.RECEIPT, filename="x.gif"
    )
    # then the row describes the sniffed content and the file holds the bytes
    row = await Document.get(id=document.id)
    assert row.content_type == content_type
    assert row.size_bytes == len(content)
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.uploaded_by_id == world.specialist_s1_user.account_id  # type: ignore[attr-defined]
    assert row.case_id is None and row.specialist_id is None  # type: ignore[attr-defined]
    assert row.filename.startswith("x.gif.") and not row.received_by_post
    assert content_path(tmp_path, row.sha256).read_bytes() == content
    assert leftovers(tmp_path) == []


async def test_the_same_bytes_twice_are_one_file_and_two_rows(world: World, tmp_path: Path) -> None:
    content, _ = SAMPLES[PDF]
    first = await upload(world.specialist_s1_user, tmp_path, content)
    second = await upload(world.secretariat_kanto, tmp_path, content, filename="copy.pdf")
    assert first.id != second.id and first.sha256 == second.sha256
    assert stored_files(tmp_path) == [content_path(tmp_path, first.sha256)]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("impostor", sorted(IMPOSTORS))
async def test_a_file_of_another_type_is_refused_and_nothing_is_stored(
    world: World, tmp_path: Path, impostor: str
) -> None:
    with pytest.raises(UnsupportedFileType) as refused:
        await upload(world.specialist_s1_user, tmp_path, IMPOSTORS[impostor], filename="a.pdf")
    assert refused.value.code is ErrorCode.UNSUPPORTED_FILE_TYPE
    assert refused.value.field == ("file",)
    assert stored_files(tmp_path) == [] and leftovers(tmp_path) == []
    assert await Document.filter(filename="a.pdf").count() == 0


async def test_a_photo_must_be_an_image(world: World, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileType) as refused:
        await upload(world.specialist_s1_user, tmp_path, SAMPLES[PDF][0], kind=DocumentKind.PHOTO)
    assert refused.value.message.startswith("顔写真は JPEG または PNG")
    photo = await upload(
        world.specialist_s1_user, tmp_path, tiny_png(), kind=DocumentKind.PHOTO, filename="me"
    )
    assert photo.filename == "me.png"


async def test_a_file_over_the_limit_is_refused_before_anything_is_stored(
    world: World, tmp_path: Path
) -> None:
    content = SAMPLES[PDF][0] + b"%" * 1000
    with pytest.raises(FileTooLarge) as refused:
        await upload(world.specialist_s1_user, tmp_path, content, max_bytes=len(content) - 1)
    assert refused.value.field == ("file",)
    assert "以下のファイルを選択してください" in refused.value.message
    assert stored_files(tmp_path) == [] and not tmp_path.joinpath(".incoming").exists()
    # exactly at the limit is fine
    stored = await upload(world.specialist_s1_user, tmp_path, content, max_bytes=len(content))
    assert stored.size_bytes == len(content)


async def test_the_fiscal_years_upload_limit_applies_when_lower(
    world: World, tmp_path: Path
) -> None:
    # given FY 2025 allows 1 KB only
    await FiscalYearConfig.filter(fiscal_year=2025).update(upload_limit_bytes=1024)
    content = SAMPLES[PDF][0] + b"%" * 1024
    with pytest.raises(FileTooLarge) as refused:
        await upload(world.specialist_s1_user, tmp_path, content)
    assert "1 KB以下" in refused.value.message


@pytest.mark.parametrize(
    ("party", "kind"),
    [
        ("company_c1_user", DocumentKind.RECEIPT),
        ("platform_o1_staff", DocumentKind.PHOTO),
        ("specialist_s1_user", DocumentKind.COMMISSION_LETTER),
        ("partner_p1", DocumentKind.FORM8),
    ],
)
async def test_a_kind_the_role_may_not_upload_is_forbidden(
    world: World, tmp_path: Path, party: str, kind: DocumentKind
) -> None:
    with pytest.raises(Forbidden) as refused:
        await upload(getattr(world, party), tmp_path, tiny_png(), kind=kind)
    assert refused.value.field == ("kind",)
    assert stored_files(tmp_path) == []


async def test_an_upload_for_a_case_must_name_a_case_in_scope(world: World, tmp_path: Path) -> None:
    content = SAMPLES[PDF][0]
    for case_id in (world.case_s2_c2, 999_999, 2**40):
        with pytest.raises(NotFound) as missing:
            await upload(world.specialist_s1_user, tmp_path, content, case_id=case_id)
        assert missing.value.field == ("caseId",)
    with pytest.raises(DocumentKindMismatch) as mismatch:
        await upload(
            world.specialist_s1_user,
            tmp_path,
            tiny_png(),
            kind=DocumentKind.PHOTO,
            case_id=world.case_s1_c1,
        )
    assert mismatch.value.code is ErrorCode.DOCUMENT_KIND_MISMATCH
    assert stored_files(tmp_path) == []


async def test_an_upload_for_a_case_joins_the_case_with_an_event(
    world: World, tmp_path: Path
) -> None:
    document = await upload(
        world.specialist_s1_user, tmp_path, SAMPLES[PDF][0], case_id=world.case_s1_c1
    )
    assert document.case_id == world.case_s1_c1  # type: ignore[attr-defined]
    [event] = await DomainEvent.filter(kind=EventKind.CASE_DOCUMENTS_CHANGED.value)
    assert event.case_id == world.case_s1_c1  # type: ignore[attr-defined]
    assert event.payload == {"document_id": document.id, "kind": "FORM8", "change": "UPLOADED"}


# ---------------------------------------------------------------- downloading

PARTIES = (
    "specialist_s1_user",
    "specialist_s2_user",
    "company_c1_user",
    "company_c2_user",
    "platform_o1_staff",
    "platform_o2_staff",
    "secretariat_kanto",
    "secretariat_kinki",
    "secretariat_national",
    "partner_p1",
)
CASE_S1_C1_VIEWERS = {
    "specialist_s1_user",
    "company_c1_user",
    "platform_o1_staff",
    "secretariat_kanto",
    "secretariat_national",
    "partner_p1",
}


async def _downloaders(world: World, document_id: int) -> set[str]:
    return {
        party
        for party in PARTIES
        if await document_for_download(getattr(world, party), document_id) is not None
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (DocumentKind.FORM8, CASE_S1_C1_VIEWERS),
        # receipts show travel amounts: not for companies or partners without read_payments
        (DocumentKind.RECEIPT, CASE_S1_C1_VIEWERS - {"company_c1_user", "partner_p1"}),
        # signature images: the specialist and the case's secretariat only
        (
            DocumentKind.SIGNATURE,
            {"specialist_s1_user", "secretariat_kanto", "secretariat_national"},
        ),
    ],
)
async def test_case_documents_are_downloaded_by_the_case_parties(
    world: World, tmp_path: Path, kind: DocumentKind, expected: set[str]
) -> None:
    document = await upload(
        world.specialist_s1_user, tmp_path, tiny_png(), kind=kind, case_id=world.case_s1_c1
    )
    assert await _downloaders(world, document.id) == expected


async def test_an_unattached_upload_is_the_uploaders_alone(world: World, tmp_path: Path) -> None:
    document = await upload(world.specialist_s1_user, tmp_path, SAMPLES[PDF][0])
    assert await _downloaders(world, document.id) == {"specialist_s1_user"}


async def test_a_photo_follows_the_display_selection_for_companies(
    world: World, tmp_path: Path
) -> None:
    # given S1's photo, attached to its registration, hidden from companies
    photo = await upload(world.specialist_s1_user, tmp_path, tiny_png(), kind=DocumentKind.PHOTO)
    await Document.filter(id=photo.id).update(specialist_id=world.specialist_s1)
    await Specialist.filter(id=world.specialist_s1).update(display_items=["CAREER"])
    hidden = await _downloaders(world, photo.id)
    # when S1 chooses to show it
    await Specialist.filter(id=world.specialist_s1).update(display_items=["PHOTO"])
    shown = await _downloaders(world, photo.id)
    # then the company sees it only then; the other specialist never
    owners = {"specialist_s1_user", "platform_o1_staff", "platform_o2_staff"}
    owners |= {"secretariat_kanto", "secretariat_national"}
    assert "company_c1_user" not in hidden and "company_c1_user" in shown
    assert owners <= hidden and "specialist_s2_user" not in shown


async def test_a_certificate_is_not_for_companies(world: World, tmp_path: Path) -> None:
    certificate = await upload(
        world.specialist_s1_user, tmp_path, SAMPLES[PDF][0], kind=DocumentKind.CERTIFICATE
    )
    await Document.filter(id=certificate.id).update(specialist_id=world.specialist_s1)
    downloaders = await _downloaders(world, certificate.id)
    assert {"specialist_s1_user", "platform_o1_staff", "secretariat_kanto"} <= downloaders
    assert not downloaders & {"company_c1_user", "company_c2_user", "specialist_s2_user"}


async def test_nothing_to_download_without_a_file(world: World) -> None:
    # the fixture world's document has a hash but the postal one has none
    postal = await make_document(
        case_id=world.case_s1_c1, received_by_post=True, sha256="", size_bytes=0
    )
    assert await document_for_download(world.secretariat_kanto, postal.id) is None
    for missing in (0, -1, 999_999, 2**40):
        assert await document_for_download(world.secretariat_national, missing) is None
    assert await document_for_download(world.anonymous, world.document_s1_c1) is None


def test_can_download_needs_content() -> None:
    principal = Principal(account_id=1)
    assert not can_download(principal, {"sha256": "", "uploaded_by_id": 1})
    assert can_download(principal, {"sha256": "ab", "uploaded_by_id": 1, "kind": "RECEIPT"})


# ---------------------------------------------------------------- claiming


async def test_claim_document_returns_the_callers_own_upload(world: World, tmp_path: Path) -> None:
    document = await upload(world.specialist_s1_user, tmp_path, SAMPLES[JPEG][0])
    claimed = await claim_document(
        world.specialist_s1_user, document.id, {DocumentKind.FORM8, DocumentKind.RECEIPT}
    )
    assert claimed.id == document.id


async def test_claim_document_refuses_other_accounts_kinds_and_targets(
    world: World, tmp_path: Path
) -> None:
    document = await upload(world.specialist_s1_user, tmp_path, SAMPLES[JPEG][0])
    field = ("input", "receiptIds", "0")
    # another account's upload, a missing one, an absurd ID: not found
    for principal, document_id in (
        (world.specialist_s2_user, document.id),
        (world.secretariat_national, document.id),
        (world.specialist_s1_user, 999_999),
        (world.specialist_s1_user, 2**40),
    ):
        with pytest.raises(NotFound) as missing:
            await claim_document(principal, document_id, {DocumentKind.FORM8}, field=field)
        assert missing.value.field == field
    # another kind
    with pytest.raises(DocumentKindMismatch) as mismatch:
        await claim_document(
            world.specialist_s1_user, document.id, {DocumentKind.RECEIPT}, field=field
        )
    assert mismatch.value.field == field and mismatch.value.message == (
        "領収書（貼付用紙）の書類を指定してください。"
    )
    # attached to another case already
    await Document.filter(id=document.id).update(case_id=world.case_s1_c2_r1)
    with pytest.raises(NotFound):
        await claim_document(
            world.specialist_s1_user, document.id, {DocumentKind.FORM8}, case_id=world.case_s1_c1
        )


async def test_a_postal_record_cannot_be_claimed(world: World) -> None:
    postal_id = await mark_received(
        world.secretariat_kanto, world.case_s1_c1, DocumentKind.FORM8, True
    )
    assert postal_id is not None
    with pytest.raises(NotFound):
        await claim_document(world.secretariat_kanto, postal_id, {DocumentKind.FORM8})


async def test_attach_to_case_links_the_upload_once(world: World, tmp_path: Path) -> None:
    document = await upload(world.specialist_s1_user, tmp_path, SAMPLES[PDF][0])
    attached = await attach_to_case(world.specialist_s1_user, document.id, world.case_s1_c1)
    again = await attach_to_case(world.specialist_s1_user, document.id, world.case_s1_c1)
    assert attached == again == document.id
    row = await Document.get(id=document.id)
    assert row.case_id == world.case_s1_c1  # type: ignore[attr-defined]
    assert await DomainEvent.filter(kind=EventKind.CASE_DOCUMENTS_CHANGED.value).count() == 1
    with pytest.raises(NotFound) as missing:
        await attach_to_case(world.specialist_s1_user, document.id, world.case_s2_c2)
    assert missing.value.field == ("input", "caseId")


# ---------------------------------------------------------------- received by post


async def test_the_secretariat_marks_a_form8_received_once(world: World) -> None:
    first = await mark_received(
        world.secretariat_kanto, world.case_s1_c1, DocumentKind.FORM8, True, request_id="r1"
    )
    second = await mark_received(
        world.secretariat_kanto, world.case_s1_c1, DocumentKind.FORM8, True
    )
    assert first == second
    row = await Document.get(id=first)
    assert row.received_by_post and row.sha256 == "" and row.kind is DocumentKind.FORM8
    assert row.case_id == world.case_s1_c1  # type: ignore[attr-defined]
    [event] = await DomainEvent.filter(kind=EventKind.CASE_DOCUMENTS_CHANGED.value)
    assert event.payload["change"] == "RECEIVED_BY_POST"
    [audit] = await AuditEvent.filter(action="document_mark_received")
    assert audit.request_id == "r1" and audit.detail == {"kind": "FORM8", "received": True}


async def test_withdrawing_a_postal_record_removes_it(world: World) -> None:
    postal = await mark_received(
        world.secretariat_national, world.case_s1_c1, DocumentKind.RECEIPT, True
    )
    withdrawn = await mark_received(
        world.secretariat_national, world.case_s1_c1, DocumentKind.RECEIPT, False
    )
    nothing = await mark_received(
        world.secretariat_national, world.case_s1_c1, DocumentKind.RECEIPT, False
    )
    assert withdrawn is None and nothing is None
    assert not await Document.filter(id=postal).exists()
    changes = await DomainEvent.filter(kind=EventKind.CASE_DOCUMENTS_CHANGED.value).values_list(
        "payload", flat=True
    )
    assert [c["change"] for c in changes] == ["RECEIVED_BY_POST", "RECEIPT_WITHDRAWN"]  # type: ignore[index]


@pytest.mark.parametrize(
    "party", ["specialist_s1_user", "company_c1_user", "platform_o1_staff", "partner_p1"]
)
async def test_only_the_secretariat_marks_documents_received(world: World, party: str) -> None:
    documents_before = await Document.all().count()
    with pytest.raises(Forbidden):
        await mark_received(
            getattr(world, party), world.case_s1_c1, DocumentKind.FORM8, True, request_id="x"
        )
    assert await Document.all().count() == documents_before
    assert await DomainEvent.all().count() == 0
    [audit] = await AuditEvent.filter(action="authz_fail")
    assert audit.outcome == "failure" and audit.target_id == str(world.case_s1_c1)


async def test_marking_needs_a_case_of_the_office_and_a_postal_kind(world: World) -> None:
    with pytest.raises(NotFound) as missing:
        await mark_received(world.secretariat_kinki, world.case_s1_c1, DocumentKind.FORM8, True)
    assert missing.value.field == ("input", "caseId")
    with pytest.raises(DocumentKindMismatch) as mismatch:
        await mark_received(world.secretariat_kanto, world.case_s1_c1, DocumentKind.PHOTO, True)
    assert mismatch.value.field == ("input", "kind")
    assert await Document.filter(received_by_post=True).count() == 0


@pytest.mark.parametrize("party", ["company_c1_user", "platform_o1_staff", "secretariat_kanto"])
async def test_a_signed_form8_is_attached_by_any_party_of_the_case(
    world: World, tmp_path: Path, party: str
) -> None:
    principal = getattr(world, party)
    document = await upload(principal, tmp_path, SAMPLES[PDF][0])
    assert await attach_to_case(principal, document.id, world.case_s1_c1) == document.id
    assert await document_for_download(world.specialist_s1_user, document.id) is not None
    with pytest.raises(NotFound):  # a case outside the party's scope
        await attach_to_case(principal, document.id, world.case_s2_c2)
