"""Probe a media file and decode its audio to 16 kHz mono float32 with the FFmpeg libraries (PyAV).

Every failure is a ``MediaError`` with a stable code the caller stores as the status:
``not_media`` (not a container we accept, or FFmpeg cannot read it), ``no_audio`` (no audio
track), ``too_long`` (over ``MODERATION_MAX_MEDIA_SECONDS``: checked from the container's duration
before decoding and again while decoding, since a stream can lack or misstate its duration) and
``decode_failed`` (the audio track is broken). A track of pure silence is not an error.

FFmpeg is given the demuxer that the file's magic bytes name (``sniff.py``), never left to guess,
so a text file or a playlist with a video extension cannot reach FFmpeg's other demuxers.
"""

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np
from django.conf import settings

from moderation.errors import MediaError
from moderation.media.sniff import SNIFF_BYTES, ContainerKind, container_sniff

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# FFmpeg may only read the file it was given: no network or other-file protocols from inside it.
_FFMPEG_OPTIONS = {"protocol_whitelist": "file"}


@dataclass
class MediaInfo:
    container: str
    duration_seconds: float | None
    size_bytes: int
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    audio_sample_rate: int | None
    audio_channels: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def media_probe(*, path: Path) -> MediaInfo:
    """Container metadata of ``path``; raises ``MediaError("not_media")`` for anything else."""
    path = Path(path)
    container, kind = _container_open(path=path)
    try:
        return _info_read(container=container, kind=kind, path=path)
    finally:
        container.close()


def audio_decode(*, path: Path, max_seconds: float | None = None) -> tuple[np.ndarray, MediaInfo]:
    """The first audio track as float32 mono samples at 16 kHz, and the file's metadata."""
    path = Path(path)
    limit = settings.MODERATION_MAX_MEDIA_SECONDS if max_seconds is None else max_seconds
    container, kind = _container_open(path=path)
    try:
        info = _info_read(container=container, kind=kind, path=path)
        if info.duration_seconds is not None and info.duration_seconds > limit:
            raise MediaError("too_long", f"The media lasts {info.duration_seconds:.1f} s; the limit is {limit:g} s.")
        if not container.streams.audio:
            raise MediaError("no_audio", "The media has no audio track.")
        samples = _samples_decode(container=container, stream=container.streams.audio[0], limit=limit)
    finally:
        container.close()
    logger.info(
        "audio_decoded container=%s seconds=%.2f samples=%s", info.container, samples.size / SAMPLE_RATE, samples.size
    )
    return samples, info


def _container_open(*, path: Path) -> tuple[av.container.InputContainer, ContainerKind]:
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError as error:
        raise MediaError("not_media", f"The file {path.name} does not exist.") from error
    except OSError as error:
        raise MediaError("not_media", f"The file {path.name} cannot be read.") from error
    kind = container_sniff(head=head)
    if kind is None:
        raise MediaError("not_media", "The file is not a video or audio file.")
    try:
        container = av.open(str(path), mode="r", format=kind.demuxer, options=_FFMPEG_OPTIONS)
    except (av.FFmpegError, OSError, ValueError) as error:
        raise MediaError("not_media", f"The file looks like {kind.name} but cannot be read.") from error
    return container, kind


def _info_read(*, container: av.container.InputContainer, kind: ContainerKind, path: Path) -> MediaInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None and audio is None:
        raise MediaError("not_media", "The file has neither video nor audio.")
    return MediaInfo(
        container=kind.name,
        duration_seconds=_duration_seconds(container=container),
        size_bytes=path.stat().st_size,
        video_codec=video.codec_context.name if video else None,
        audio_codec=audio.codec_context.name if audio else None,
        width=(video.codec_context.width or None) if video else None,
        height=(video.codec_context.height or None) if video else None,
        audio_sample_rate=(audio.codec_context.sample_rate or None) if audio else None,
        audio_channels=(audio.codec_context.channels or None) if audio else None,
    )


def _duration_seconds(*, container: av.container.InputContainer) -> float | None:
    """The container's duration, else the longest stream's; None when the file does not say."""
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    durations = [
        float(stream.duration * stream.time_base)
        for stream in container.streams
        if stream.duration is not None and stream.time_base is not None and stream.duration > 0
    ]
    return max(durations) if durations else None


def _samples_decode(*, container: av.container.InputContainer, stream: av.AudioStream, limit: float) -> np.ndarray:
    max_samples = int(limit * SAMPLE_RATE)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        for frame in container.decode(stream):
            for resampled in resampler.resample(frame):
                chunk = resampled.to_ndarray().reshape(-1)
                total += chunk.size
                if total > max_samples:
                    raise MediaError("too_long", f"The audio runs past the limit of {limit:g} s.")
                chunks.append(chunk)
        for resampled in resampler.resample(None):
            chunk = resampled.to_ndarray().reshape(-1)
            total += chunk.size
            chunks.append(chunk)
    except (av.FFmpegError, ValueError) as error:
        raise MediaError("decode_failed", "The audio track could not be decoded.") from error
    if total > max_samples:
        raise MediaError("too_long", f"The audio runs past the limit of {limit:g} s.")
    if not chunks:
        raise MediaError("decode_failed", "The audio track holds no decodable sound.")
    return np.concatenate(chunks).astype(np.float32, copy=False)
