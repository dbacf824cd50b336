"""Recognise a media container from its first bytes.

Both the URL fetcher and the decoder use this. The decoder hands FFmpeg the demuxer named here
instead of letting FFmpeg guess: FFmpeg's probing accepts plain text (the ``tty`` demuxer) and
playlists (``hls``, ``concat``) that can make it open other files or URLs, so an upload must prove
it is one of the containers below before FFmpeg sees it.
"""

from dataclasses import dataclass

# Enough bytes to recognise every container below (MPEG-TS needs three 188-byte packets).
SNIFF_BYTES = 1024

_MP4_BOX_TYPES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_QUICKTIME_BRANDS = (b"qt  ",)


@dataclass(frozen=True)
class ContainerKind:
    """A recognised container: ``name`` is ours (stored, shown), ``demuxer`` is FFmpeg's."""

    name: str
    demuxer: str
    extension: str


MP4 = ContainerKind("mp4", "mov", ".mp4")
MOV = ContainerKind("mov", "mov", ".mov")
WEBM = ContainerKind("webm", "matroska", ".webm")
MATROSKA = ContainerKind("matroska", "matroska", ".mkv")
OGG = ContainerKind("ogg", "ogg", ".ogg")
WAV = ContainerKind("wav", "wav", ".wav")
AVI = ContainerKind("avi", "avi", ".avi")
AIFF = ContainerKind("aiff", "aiff", ".aiff")
MP3 = ContainerKind("mp3", "mp3", ".mp3")
AAC = ContainerKind("aac", "aac", ".aac")
FLAC = ContainerKind("flac", "flac", ".flac")
MPEG_TS = ContainerKind("mpegts", "mpegts", ".ts")
MPEG_PS = ContainerKind("mpeg", "mpeg", ".mpg")
FLV = ContainerKind("flv", "flv", ".flv")
ASF = ContainerKind("asf", "asf", ".wmv")
AMR = ContainerKind("amr", "amr", ".amr")
CAF = ContainerKind("caf", "caf", ".caf")

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def container_sniff(*, head: bytes) -> ContainerKind | None:
    """The container whose signature ``head`` (the first bytes of a file) carries, else None."""
    if len(head) >= 12 and head[4:8] in _MP4_BOX_TYPES:
        if head[4:8] == b"ftyp" and head[8:12] in _QUICKTIME_BRANDS:
            return MOV
        return MP4 if head[4:8] == b"ftyp" else MOV
    if head.startswith(_EBML_MAGIC):
        # The EBML header names its DocType ("webm" or "matroska") within the first few dozen bytes.
        return WEBM if b"webm" in head[:64] else MATROSKA
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith((b"RIFF", b"RF64")) and len(head) >= 12:
        if head[8:12] == b"WAVE":
            return WAV
        if head[8:12] == b"AVI ":
            return AVI
        return None
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return AIFF
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"ID3"):
        return MP3
    if head.startswith(b"FLV\x01"):
        return FLV
    if head.startswith(_ASF_GUID):
        return ASF
    if head.startswith(b"#!AMR"):
        return AMR
    if head.startswith(b"caff"):
        return CAF
    if head.startswith(b"\x00\x00\x01\xba"):
        return MPEG_PS
    if _is_mpeg_ts(head):
        return MPEG_TS
    if len(head) >= 2 and head[0] == 0xFF:
        # ADTS AAC: 12-bit sync, layer bits 00. MPEG audio (MP3): 11-bit sync, layer not 00.
        if head[1] & 0xF6 == 0xF0:
            return AAC
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0:
            return MP3
    return None


def _is_mpeg_ts(head: bytes) -> bool:
    # A sync byte every 188 bytes; three in a row rules out chance.
    return len(head) > 376 and head[0] == head[188] == head[376] == 0x47
