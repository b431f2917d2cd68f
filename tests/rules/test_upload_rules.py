"""Upload rules (domain.md §12): content sniffing, kinds per role and per document kind, names."""

from __future__ import annotations

import pytest

from models.rules.money_kinds import DocumentKind
from models.rules.roles import Role
from models.rules.uploads import (
    CASE_KINDS,
    JPEG,
    PDF,
    PNG,
    POSTAL_KINDS,
    content_disposition,
    format_size,
    may_upload,
    sanitize_filename,
    sniff_content_type,
    too_large_message,
    type_fits_kind,
    unsupported_type_message,
)

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", PDF),
        (b"%PDF-2.0\n", PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", JPEG),
        (b"\xff\xd8\xff\xe1\x00\x10Exif\x00", JPEG),
        (PNG_HEAD, PNG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIDAT", None),  # PNG signature without IHDR first
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", None),  # Windows executable
        (b"<!DOCTYPE html><html>", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"PK\x03\x04\x14\x00\x06\x00", None),  # zip / docx
        (b" %PDF-1.4", None),  # the header must come first
        (b"%PDF-x", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_content_type(head) == expected


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        (Role.SPECIALIST, DocumentKind.RECEIPT, True),
        (Role.SPECIALIST, DocumentKind.SIGNATURE, True),
        (Role.SPECIALIST, DocumentKind.PHOTO, True),
        (Role.SPECIALIST, DocumentKind.COMMISSION_LETTER, False),  # issued by the secretariat
        (Role.COMPANY, DocumentKind.FORM8, True),
        (Role.COMPANY, DocumentKind.RECEIPT, False),
        (Role.COMPANY, DocumentKind.SIGNATURE, False),
        (Role.PLATFORM, DocumentKind.FORM8, True),
        (Role.PLATFORM, DocumentKind.PHOTO, False),
        (Role.SECRETARIAT, DocumentKind.COMMISSION_LETTER, True),
        (Role.SECRETARIAT, DocumentKind.SIGNATURE, True),
        (Role.PARTNER, DocumentKind.FORM8, False),
        (None, DocumentKind.OTHER, False),
    ],
)
def test_each_role_uploads_its_own_kinds(
    role: Role | None, kind: DocumentKind, allowed: bool
) -> None:
    assert may_upload(role, kind) is allowed


@pytest.mark.parametrize(
    ("content_type", "kind", "fits"),
    [
        (PDF, DocumentKind.FORM8, True),
        (JPEG, DocumentKind.RECEIPT, True),
        (PNG, DocumentKind.BOARDING_STUB, True),
        (PDF, DocumentKind.PHOTO, False),
        (JPEG, DocumentKind.PHOTO, True),
        (PDF, DocumentKind.SIGNATURE, False),
        (PNG, DocumentKind.SIGNATURE, True),
        (PDF, DocumentKind.CERTIFICATE, True),
    ],
)
def test_photos_and_signatures_must_be_images(
    content_type: str, kind: DocumentKind, fits: bool
) -> None:
    assert type_fits_kind(content_type, kind) is fits


def test_postal_kinds_are_case_kinds() -> None:
    assert POSTAL_KINDS <= CASE_KINDS
    assert DocumentKind.PHOTO not in CASE_KINDS


def test_messages_are_japanese_and_name_the_limit() -> None:
    assert unsupported_type_message(DocumentKind.FORM8) == (
        "PDF・JPEG・PNG のいずれかのファイルを選択してください。"
    )
    assert unsupported_type_message(DocumentKind.PHOTO).startswith("顔写真は JPEG または PNG")
    assert too_large_message(10 * 1024 * 1024) == (
        "ファイルが大きすぎます。10 MB以下のファイルを選択してください。"
    )


@pytest.mark.parametrize(
    ("size", "text"),
    [(10 * 1024 * 1024, "10 MB"), (1536 * 1024, "1 MB"), (2048, "2 KB"), (900, "900 バイト")],
)
def test_sizes_are_shown_in_binary_units(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("様式8.pdf", PDF, "様式8.pdf"),
        ("Scan 2025-06-02.PDF", PDF, "Scan 2025-06-02.PDF"),
        ("receipt.jpeg", JPEG, "receipt.jpeg"),
        ("photo.png", JPEG, "photo.png.jpg"),  # the extension follows the content
        ("invoice.exe", PNG, "invoice.exe.png"),
        ("page.html", PDF, "page.html.pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("..\\..\\windows\\system32\\cmd.exe", PNG, "cmd.exe.png"),
        ("/var/www/.htaccess", PDF, "htaccess.pdf"),
        ("C:\\Users\\山田\\領収書.jpg", JPEG, "領収書.jpg"),
        ("evil\u202egpj.exe", JPEG, "evilgpj.exe.jpg"),  # right-to-left override removed
        ("a\x00b\r\nc.pdf", PDF, "abc.pdf"),
        ('what<>:"|?*.pdf', PDF, "what_______.pdf"),
        ("  spaced   out  .pdf", PDF, "spaced out.pdf"),
        ("CON.pdf", PDF, "_CON.pdf"),
        ("lpt1", PNG, "_lpt1.png"),
        ("", PDF, "document.pdf"),
        ("...", PNG, "document.png"),
        ("/", JPEG, "document.jpg"),
        ("ｶﾞ.pdf", PDF, "ｶﾞ.pdf"),
        ("\u304b\u3099.pdf", PDF, "\u304c.pdf"),  # decomposed が composed (NFC)
        ("x" * 300 + ".pdf", PDF, "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_harmless(name: str, content_type: str, expected: str) -> None:
    assert sanitize_filename(name, content_type) == expected


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("form8.pdf", "attachment; filename=\"form8.pdf\"; filename*=UTF-8''form8.pdf"),
        (
            "様式8 山田.pdf",
            'attachment; filename="__8 __.pdf"; '
            "filename*=UTF-8''%E6%A7%98%E5%BC%8F8%20%E5%B1%B1%E7%94%B0.pdf",
        ),
        ("100%;x.pdf", "attachment; filename=\"100_;x.pdf\"; filename*=UTF-8''100%25%3Bx.pdf"),
    ],
)
def test_content_disposition_carries_an_ascii_fallback_and_the_utf8_name(
    name: str, header: str
) -> None:
    assert content_disposition(name) == header
