"""Tiny but well-formed files of every accepted type, and look-alikes that must be refused."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from models.rules.uploads import JPEG, PDF, PNG


def tiny_pdf(text: str = "Haken") -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] /Contents 4 0 R >>",
    ]
    stream = f"BT /F1 12 Tf 10 30 Td ({text}) Tj ET".encode()
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png(gray: int = 0) -> bytes:
    """A 1×1 grayscale PNG with valid CRCs."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(bytes([0, gray]))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def tiny_jpeg() -> bytes:
    """A 1×1 grayscale baseline JPEG (one DC and one AC Huffman code, all coefficients zero)."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    sof0 = b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1 for symbol 0
    dht_dc = b"\xff\xc4\x00\x14\x00" + one_code
    dht_ac = b"\xff\xc4\x00\x14\x10" + one_code
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    scan = b"\x3f"  # DC category 0, AC end-of-block, padded with ones
    return b"\xff\xd8" + app0 + dqt + sof0 + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


#: (content type, bytes, a file name) of every accepted type.
SAMPLES: dict[str, tuple[bytes, str]] = {
    PDF: (tiny_pdf(), "form8.pdf"),
    JPEG: (tiny_jpeg(), "receipt.jpg"),
    PNG: (tiny_png(), "stub.png"),
}

#: Files that claim to be PDFs but are not.
IMPOSTORS: dict[str, bytes] = {
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64,
    "html": b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
    "svg": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "empty": b"",
}


def stored_files(upload_dir: Path) -> list[Path]:
    """Every stored content file (temporary files excluded)."""
    if not upload_dir.exists():
        return []
    return sorted(
        path for path in upload_dir.rglob("*") if path.is_file() and ".incoming" not in path.parts
    )


def leftovers(upload_dir: Path) -> list[Path]:
    """Temporary files left behind (there must be none)."""
    incoming = upload_dir / ".incoming"
    return sorted(incoming.iterdir()) if incoming.exists() else []
