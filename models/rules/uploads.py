"""Uploaded files (domain.md §5, §12): what may be uploaded, by whom, and how it is named.

The type of a file is decided by its first bytes, never by the client's ``Content-Type`` or the
file name's extension. Only PDF, JPEG and PNG are accepted; photos and signature images must be
images. The stored file name is the client's name made harmless: no directories, no control or
bidirectional-override characters, no characters Windows refuses, and an extension that matches
the sniffed content (``invoice.exe`` holding a PNG becomes ``invoice.exe.png``). Files are stored
by content hash, so the name never reaches the file system.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from models.rules.money_kinds import DocumentKind
from models.rules.roles import Role

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

#: How many leading bytes :func:`sniff_content_type` needs.
SNIFF_BYTES = 16

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")

#: Extensions accepted as matching each content type; the first is the canonical one.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    PNG: (".png",),
}

_ANY = frozenset({PDF, JPEG, PNG})
_IMAGES = frozenset({JPEG, PNG})

#: Content types allowed per kind of document: photos and signatures are images.
ALLOWED_TYPES: dict[DocumentKind, frozenset[str]] = {
    kind: _IMAGES if kind in (DocumentKind.PHOTO, DocumentKind.SIGNATURE) else _ANY
    for kind in DocumentKind
}

#: Kinds that belong to a dispatch case (様式8, receipts, boarding stubs, the signature image).
CASE_KINDS: frozenset[DocumentKind] = frozenset(
    {
        DocumentKind.FORM8,
        DocumentKind.RECEIPT,
        DocumentKind.BOARDING_STUB,
        DocumentKind.SIGNATURE,
        DocumentKind.OTHER,
    }
)

#: Kinds that belong to a specialist's registration (photo, certificates, letters).
PROFILE_KINDS: frozenset[DocumentKind] = frozenset(
    {
        DocumentKind.PHOTO,
        DocumentKind.CERTIFICATE,
        DocumentKind.ACCEPTANCE_LETTER,
        DocumentKind.COMMISSION_LETTER,
        DocumentKind.OTHER,
    }
)

#: Paper documents the secretariat may mark as received by post for a case.
POSTAL_KINDS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.FORM8, DocumentKind.RECEIPT, DocumentKind.BOARDING_STUB}
)

#: Documents that show travel amounts: only those who see a case's money may download them.
MONEY_EVIDENCE_KINDS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.RECEIPT, DocumentKind.BOARDING_STUB}
)

#: Kinds each role may upload. The specialist sends its own papers and, at check-out, the
#: company's signature captured on its device; the company and the support organisation may send
#: a signed 様式8; the secretariat scans any paper; partner tokens upload nothing.
UPLOAD_KINDS: dict[Role, frozenset[DocumentKind]] = {
    Role.SPECIALIST: frozenset(
        {
            DocumentKind.FORM8,
            DocumentKind.RECEIPT,
            DocumentKind.BOARDING_STUB,
            DocumentKind.SIGNATURE,
            DocumentKind.PHOTO,
            DocumentKind.CERTIFICATE,
            DocumentKind.ACCEPTANCE_LETTER,
            DocumentKind.OTHER,
        }
    ),
    Role.COMPANY: frozenset({DocumentKind.FORM8, DocumentKind.OTHER}),
    Role.PLATFORM: frozenset({DocumentKind.FORM8, DocumentKind.OTHER}),
    Role.SECRETARIAT: frozenset(DocumentKind),
    Role.PARTNER: frozenset(),
}

MAX_FILENAME_LENGTH = 200
_DEFAULT_STEM = "document"
_SEPARATORS = re.compile(r"[/\\]")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WHITESPACE = re.compile(r"\s+")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned characters.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_RFC5987_SAFE = "!#$&+-.^_`|~"


def sniff_content_type(head: bytes) -> str | None:
    """PDF, JPEG or PNG from the file's first :data:`SNIFF_BYTES` bytes; anything else ``None``."""
    if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR":
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if _PDF_HEADER.match(head):
        return PDF
    return None


def may_upload(role: Role | None, kind: DocumentKind) -> bool:
    return role is not None and kind in UPLOAD_KINDS.get(role, frozenset())


def type_fits_kind(content_type: str, kind: DocumentKind) -> bool:
    return content_type in ALLOWED_TYPES[kind]


def unsupported_type_message(kind: DocumentKind) -> str:
    """The Japanese message for a file whose content is not allowed for ``kind``."""
    if ALLOWED_TYPES[kind] == _IMAGES:
        return f"{kind.ja}は JPEG または PNG の画像を選択してください。"
    return "PDF・JPEG・PNG のいずれかのファイルを選択してください。"


def format_size(size_bytes: int) -> str:
    """A size for messages: ``10 MB``, ``500 KB``, ``900 バイト`` (binary units, rounded down)."""
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes // (1024 * 1024)} MB"
    if size_bytes >= 1024:
        return f"{size_bytes // 1024} KB"
    return f"{size_bytes} バイト"


def too_large_message(limit_bytes: int) -> str:
    return f"ファイルが大きすぎます。{format_size(limit_bytes)}以下のファイルを選択してください。"


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = _SEPARATORS.split(name)[-1]  # the last path component only
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    return _WHITESPACE.sub(" ", name).strip(" .")


def sanitize_filename(name: str, content_type: str) -> str:
    """The client's file name made harmless, with an extension matching ``content_type``."""
    canonical = EXTENSIONS[content_type][0]
    cleaned = _clean(name) or _DEFAULT_STEM
    dot = cleaned.rfind(".")
    suffix = cleaned[dot:].lower() if dot > 0 else ""
    if suffix in EXTENSIONS[content_type]:
        stem, extension = cleaned[:dot], cleaned[dot:]
    else:
        stem, extension = cleaned, canonical
    if stem.split(".", 1)[0].strip().upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = stem[: MAX_FILENAME_LENGTH - len(extension)].rstrip(" .") or _DEFAULT_STEM
    return stem + extension


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%' else "_" for ch in filename
    )
    encoded = quote(filename, safe=_RFC5987_SAFE)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
