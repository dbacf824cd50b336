"""Creators add videos: an uploaded file or a link, then the moderation evaluation starts.

``video_upload`` validates everything before it writes anything, then, in one transaction, stores
the file in private storage, creates the ``Video`` (status pending), sets its hashtags and starts
its evaluation (``moderation.services.evaluation_start``: the video moves to processing and the
``moderation.evaluate`` task is enqueued when the transaction commits).

What an upload must be:

- exactly one of a file and a link;
- a file: not empty, at most ``VIDEO_MAX_UPLOAD_BYTES``, and a video or audio container recognised
  from its first bytes (``moderation.media.sniff``), which FFmpeg can open and whose duration (when
  the container states one) is within ``MODERATION_MAX_MEDIA_SECONDS``. The uploader's file name
  is never used: the stored name is the video's random public id with the extension of the
  container the bytes announce (``creators.models.private_video_path``);
- a link: http or https, at most 2000 characters, without user name or password. It is not fetched
  here: the moderation pipeline fetches it with its safe fetcher (private addresses, size, type).

Nothing is left behind when an upload is refused: validation happens before the file is written,
and a failure after it was written (a database error, a concurrent change) deletes it again. A
caller that wraps ``video_upload`` in its own transaction and rolls that back later owns the
cleanup of the stored file (Django has no rollback hook).
"""

import contextlib
import logging
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from moderation.errors import MediaError
from moderation.media.sniff import SNIFF_BYTES, ContainerKind, container_sniff
from moderation.models import Evaluation
from moderation.services import evaluation_start

from .models import CreatorProfile, Video
from .services import MAX_HASHTAGS_PER_VIDEO, video_hashtags_set
from .trends import TrendError, hashtag_normalize

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 150
DESCRIPTION_MAX_LENGTH = 5000
URL_MAX_LENGTH = 2000
NOT_MEDIA = "The file is not a video or audio file (its content is not a container we accept, whatever it is called)."
NON_FIELD = "non_field_errors"


class VideoUploadError(ValueError):
    """The upload cannot be accepted; ``errors`` maps each field to what is wrong with it.

    Field names are the API's: title, description, hashtags, file, source_url, non_field_errors.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items()))


def video_upload(
    *,
    creator: CreatorProfile,
    title: str,
    description: str = "",
    hashtags: list[str] | tuple[str, ...] = (),
    media_file: UploadedFile | None = None,
    source_url: str | None = None,
) -> Video:
    """Store a creator's new video (a file or a link), set its hashtags and start its evaluation.

    Raises ``VideoUploadError`` (nothing stored) when the input cannot be accepted. Returns the video,
    being evaluated (status processing until the evaluation finishes).
    """
    errors: dict[str, list[str]] = {}
    title = _field(errors, "title", _title_clean, title)
    description = _field(errors, "description", _description_clean, description)
    tags = _field(errors, "hashtags", _hashtags_clean, hashtags)
    has_file, has_url = media_file is not None, bool((source_url or "").strip())
    kind: ContainerKind | None = None
    info = None
    if has_file == has_url:
        errors[NON_FIELD] = ["Give either a file or a source_url, not both and not neither."]
    elif has_file:
        kind, info = _field(errors, "file", _media_file_check, media_file) or (None, None)
    else:
        source_url = _field(errors, "source_url", _source_url_clean, source_url)
    if errors:
        raise VideoUploadError(errors)

    video = Video(
        creator=creator,
        title=title,
        description=description,
        source_url=source_url if has_url else "",
        status=Video.Status.PENDING,
    )
    if info is not None:
        video.duration_ms = round(info.duration_seconds * 1000) if info.duration_seconds else None
        video.width, video.height = info.width or None, info.height or None
        video.codec = (info.video_codec or info.audio_codec or "")[:32]
    try:
        with transaction.atomic():
            if kind is not None:
                video.media_file.save(f"upload{kind.extension}", media_file, save=False)
            video.save()
            video_hashtags_set(video=video, names=tags)
            evaluation = evaluation_start(video=video, requested_by=creator.user)
    except ValidationError as exc:  # the hashtags, re-checked by video_hashtags_set
        _stored_file_delete(video)
        raise VideoUploadError({"hashtags": exc.messages}) from exc
    except BaseException:
        _stored_file_delete(video)
        raise
    # Committed (unless a caller's transaction is still open): with eager tasks (no broker) the
    # evaluation has run by now, so the status is read back rather than assumed.
    video.refresh_from_db(fields=["status"])
    logger.info(
        "video_uploaded video=%s creator=%s source=%s container=%s size_bytes=%s evaluation=%s",
        video.public_id,
        creator.pk,
        "file" if kind is not None else "url",
        kind.name if kind is not None else "",
        media_file.size if media_file is not None else None,
        evaluation.public_id,
    )
    return video


def videos_of_creator(*, creator: CreatorProfile) -> QuerySet[Video]:
    """A creator's own videos, any status, newest first, each with its latest evaluation's id and status."""
    latest = Evaluation.objects.filter(video=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Video.objects.filter(creator=creator)
        .select_related("creator")
        .prefetch_related("hashtags")
        .annotate(
            latest_evaluation_id=Subquery(latest.values("public_id")[:1]),
            latest_evaluation_status=Subquery(latest.values("status")[:1]),
            latest_evaluation_error_code=Subquery(latest.values("error_code")[:1]),
        )
        .order_by("-created_at", "-id")
    )


# Splits "dance, #fun  music" into its tags (a hashtag never holds a comma or a space).
_TAG_SEPARATORS = re.compile(r"[\s,]+")


def hashtags_split(values: list[str] | tuple[str, ...] | str) -> list[str]:
    """The hashtags in API input: a list of tags and/or comma- or space-separated strings."""
    if isinstance(values, str):
        values = [values]
    return [part for value in values for part in _TAG_SEPARATORS.split(value) if part]


# --- Validation --------------------------------------------------------------------------------------


def _field(errors: dict[str, list[str]], name: str, check, value):
    """``check(value)``, or None with the message recorded under ``name``."""
    try:
        return check(value)
    except VideoUploadError as exc:
        errors.setdefault(name, []).extend(exc.errors[name])
        return None


def _refuse(field: str, *messages: str) -> VideoUploadError:
    return VideoUploadError({field: list(messages)})


def _title_clean(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise _refuse("title", "A title is required.")
    if len(title) > TITLE_MAX_LENGTH:
        raise _refuse("title", f"A title is at most {TITLE_MAX_LENGTH} characters; this one has {len(title)}.")
    return title


def _description_clean(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise _refuse(
            "description",
            f"A description is at most {DESCRIPTION_MAX_LENGTH} characters; this one has {len(description)}.",
        )
    return description


def _hashtags_clean(hashtags: list[str] | tuple[str, ...] | None) -> list[str]:
    """Normalised ("#Dance" -> "dance"), de-duplicated, in order; every invalid tag is named."""
    if isinstance(hashtags, str):
        hashtags = [hashtags]
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in hashtags or ():
        try:
            name = hashtag_normalize(str(raw))
        except TrendError as exc:
            problems.append(f"{str(raw)[:70]!r}: {exc}")
            continue
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_HASHTAGS_PER_VIDEO:
        problems.append(f"A video has at most {MAX_HASHTAGS_PER_VIDEO} hashtags; {len(cleaned)} were given.")
    if problems:
        raise _refuse("hashtags", *problems)
    return cleaned


def _source_url_clean(url: str | None) -> str:
    url = (url or "").strip()
    if len(url) > URL_MAX_LENGTH:
        raise _refuse("source_url", f"A link is at most {URL_MAX_LENGTH} characters; this one has {len(url)}.")
    try:
        parts = urlsplit(url)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise _refuse("source_url", "Enter a valid http or https link.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse("source_url", "Only http and https links are accepted.")
    if has_credentials:
        raise _refuse("source_url", "A link may not carry a user name or password.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise _refuse("source_url", "Enter a valid http or https link.") from exc
    return url


def _media_file_check(upload: UploadedFile):
    """The container the file's bytes announce and what FFmpeg reads in it; refuses anything else."""
    from moderation.media.audio import media_probe  # PyAV: loaded only when a file is uploaded

    limit = settings.VIDEO_MAX_UPLOAD_BYTES
    size = upload.size or 0
    if size == 0:
        raise _refuse("file", "The file is empty.")
    if size > limit:
        raise _refuse("file", f"The file is {size} bytes; the limit is {limit} bytes ({limit / 2**20:g} MiB).")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = container_sniff(head=head)
    if kind is None:
        raise _refuse("file", NOT_MEDIA)
    try:
        with _local_path(upload, kind) as path:
            info = media_probe(path=path)
    except MediaError as exc:
        raise _refuse("file", exc.message) from exc
    finally:
        upload.seek(0)
    longest = settings.MODERATION_MAX_MEDIA_SECONDS
    if info.duration_seconds is not None and info.duration_seconds > longest:
        raise _refuse("file", f"The media lasts {info.duration_seconds:.1f} s; the limit is {longest:g} s.")
    return kind, info


@contextlib.contextmanager
def _local_path(upload: UploadedFile, kind: ContainerKind):
    """A path FFmpeg can open: the upload's own temporary file, or a copy of a small in-memory one."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=kind.extension) as copy:
        upload.seek(0)
        shutil.copyfileobj(upload, copy)
        copy.flush()
        yield Path(copy.name)


def _stored_file_delete(video: Video) -> None:
    """The transaction did not commit: the row is gone, so its file must go too."""
    name = video.media_file.name
    if not name:
        return
    try:
        video.media_file.storage.delete(name)
    except OSError:
        logger.exception("video_upload_orphan_file name=%s", name)
    else:
        logger.info("video_upload_rolled_back file_deleted=%s", name)
