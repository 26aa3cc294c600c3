"""Photos and scanned documents of a case: JPEG, PNG or PDF, recognised by their content
(never by their name or declared type alone), at most ATTACHMENT_BYTES each and
ATTACHMENTS_PER_CASE a case, kept in PostgreSQL with their SHA-256.

A photo's metadata (EXIF, with the phone's GPS position and time; XMP; IPTC) is personal
data: those who may see personal data get the file as it came, everyone else a copy
without it: a JPEG decoded and written anew with nothing but its pixels (a byte-level cut
missed metadata after padding bytes and in the second image phones append), a PNG with its
chunks up to IEND and without its eXIf and text chunks.
"""
from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.errors import Invalid, NotFound, TooLarge

ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_CASE = 20
_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
MEDIA_TYPES = tuple(_SIGNATURES)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
MAX_PIXELS = 40_000_000   # a photo of a phone is 12-50 MP; more is a decompression bomb
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def media_type_of(content: bytes, declared: str | None) -> str:
    """The content's own type, if it is one we take and agrees with what was declared."""
    found = next((media for media, signature in _SIGNATURES.items() if content.startswith(signature)), None)
    if found is None:
        raise Invalid("a file is a JPEG or PNG photo or a PDF document (this one is neither, whatever its name)",
                      field="file")
    if declared and declared.split(";")[0].strip().lower() not in (found, "application/octet-stream"):
        raise Invalid("the file was sent as {declared} but is {found}", field="file", declared=declared, found=found)
    if found == "application/pdf":
        if b"%%EOF" not in content[-1024:]:
            raise Invalid("the PDF is cut short (no %%EOF at its end)", field="file")
    else:
        try:
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise Invalid("a photo has at most {most} million pixels", field="file", most=MAX_PIXELS // 10**6)
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
            raise Invalid("the photo cannot be read as {found}", field="file", found=found) from None
    return found


def _jpeg_without_metadata(data: bytes) -> bytes:
    """The JPEG's pixels (turned as its EXIF says) written anew: nothing else comes along."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=92)
    return out.getvalue()


_PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}


def _png_without_metadata(data: bytes) -> bytes:
    """The PNG without its eXIf and text chunks (where XMP and GPS notes are kept)."""
    out, i = bytearray(data[:8]), 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        end, kind = i + 12 + length, data[i + 4:i + 8]
        if kind not in _PNG_METADATA:
            out += data[i:end]
        if kind == b"IEND":   # what follows the image is not the image
            break
        i = end
    return bytes(out)


def without_metadata(media_type: str, content: bytes) -> bytes:
    return {"image/jpeg": _jpeg_without_metadata, "image/png": _png_without_metadata}.get(
        media_type, lambda data: data)(content)


_COLUMNS = "id, incident_id, filename, media_type, size, sha256, description, created_by, created_at"


def add(session: Session, incident_id: int, *, content: bytes, filename: str, declared: str | None,
        description: str | None, actor: str) -> dict:
    """Keep a file with the case (locked: the count limit holds under concurrent uploads)."""
    if len(content) > ATTACHMENT_BYTES:
        raise TooLarge("a file is at most {mib} MiB", field="file", mib=ATTACHMENT_BYTES // 2**20)
    media = media_type_of(content, declared)
    session.execute(text("SELECT 1 FROM incidents WHERE id = :id FOR UPDATE"), {"id": incident_id})
    held = session.scalar(text("SELECT count(*) FROM incident_attachments WHERE incident_id = :id"), {"id": incident_id})
    if held >= ATTACHMENTS_PER_CASE:
        raise Invalid("a case holds at most {most} files", field="file", most=ATTACHMENTS_PER_CASE)
    name = (filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "file").strip()[:120]
    row = session.execute(text(f"""
        INSERT INTO incident_attachments (incident_id, filename, media_type, size, sha256, content, description, created_by)
        VALUES (:incident, :filename, :media, :size, :sha256, :content, :description, :actor) RETURNING {_COLUMNS}"""),
        {"incident": incident_id, "filename": name, "media": media, "size": len(content),
         "sha256": hashlib.sha256(content).hexdigest(), "content": content, "description": description,
         "actor": actor}).mappings().one()
    return dict(row)


def listed(session: Session, incident_id: int) -> list[dict]:
    rows = session.execute(text(f"SELECT {_COLUMNS} FROM incident_attachments WHERE incident_id = :id ORDER BY id"),
                           {"id": incident_id}).mappings()
    return [dict(r) for r in rows]


def content(session: Session, incident_id: int, attachment_id: int, *, with_metadata: bool) -> tuple[dict, bytes]:
    """The file (and what it is), as it came or without its metadata."""
    row = session.execute(text(f"SELECT {_COLUMNS}, content FROM incident_attachments "
                               "WHERE id = :a AND incident_id = :i"), {"a": attachment_id, "i": incident_id}).mappings().first()
    if row is None:
        raise NotFound("no file {attachment_id} on incident {incident_id}", field="attachment_id",
                       attachment_id=attachment_id, incident_id=incident_id)
    data = bytes(row["content"])
    return dict(row), data if with_metadata else without_metadata(row["media_type"], data)


def download_name(row: dict) -> str:
    """The file's name for a download: its own, with the extension of what it is."""
    stem = row["filename"].rsplit(".", 1)[0] or "file"
    return stem + EXTENSIONS[row["media_type"]]
