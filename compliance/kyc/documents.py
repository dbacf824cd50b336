"""Identity-document uploads: what the bytes are, whatever the file is called.

Only JPEG, PNG and PDF are accepted, recognised by their signatures at offset 0 (JPEG ``FF D8 FF``,
PNG ``89 50 4E 47 0D 0A 1A 0A``, PDF ``%PDF-``). The uploader's file name and declared content type
are ignored: a PDF named ``scan.jpg`` is stored as a PDF, an HTML page or a Windows executable named
``passport.pdf`` is refused. Size is capped by ``KYC_MAX_UPLOAD_BYTES`` (10 MiB by default).
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
# What a refused file most likely was, for a clearer message.
KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"GIF8", "a GIF image"),
    (b"<", "an HTML or XML document"),
)


class DocumentUploadError(ValueError):
    """The upload is not an acceptable identity document; the message says why."""


@dataclass(frozen=True)
class SniffedUpload:
    content_type: str
    size_bytes: int
    sha256: str


def content_type_sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, when it is one we accept; otherwise None."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def document_upload_inspect(upload: UploadedFile) -> SniffedUpload:
    """Validate an upload's size and content from its bytes; leaves the file at position 0."""
    limit = settings.KYC_MAX_UPLOAD_BYTES
    size = upload.size or 0
    if size == 0:
        raise DocumentUploadError("The file is empty.")
    if size > limit:
        raise DocumentUploadError(f"The file is {size} bytes; the limit is {limit} bytes ({limit / 2**20:g} MiB).")
    upload.seek(0)
    head = upload.read(16)
    content_type = content_type_sniff(head)
    if content_type is None:
        stripped = head.lstrip()
        likely = next((what for sig, what in KNOWN_OTHERS if stripped.startswith(sig)), "not a JPEG, PNG or PDF file")
        raise DocumentUploadError(
            f"The file's content is {likely}; only JPEG, PNG and PDF are accepted, whatever the file is called."
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return SniffedUpload(content_type=content_type, size_bytes=size, sha256=digest.hexdigest())
