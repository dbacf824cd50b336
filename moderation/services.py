"""Everything that writes in moderation: evaluations (the pipeline), flags, staff reviews, appeals.

The pipeline, one ``Evaluation`` row per run:

    source (uploaded Video.media_file, or a URL) -> fetch -> audio -> transcript -> classifiers
    -> LLM fallback where a classifier is unsure -> scores -> summary -> flag if below the line

Its status moves queued -> fetching -> transcribing -> scoring -> done, or to failed with an
error code and message, so a page can poll it. A run first claims the row by taking the next
attempt number (compare-and-set); every later write names that attempt, so a redelivered task
and a stale run cannot overwrite each other, and a done or failed evaluation is never redone.

The speech and text models (torch) are imported inside the functions that use them, so that the
web process does not load torch when it imports this module.
"""

import contextlib
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from compliance.audit import audit
from creators.models import User, Video
from moderation.errors import FetchRefused, MediaError, TranscriptionUnavailable
from moderation.models import Appeal, Evaluation, Flag, FlagReview
from moderation.scores import TASKS, scores_compute, scoring_config
from moderation.summary import spans_keep, summary_compose

logger = logging.getLogger(__name__)

# Fetch failures worth another try later (the far side may recover); every other code is final.
TRANSIENT_FETCH_CODES = frozenset({"timeout", "connection_failed", "dns_failed"})
MAX_ERROR_MESSAGE = 2000


class ModerationError(Exception):
    """A moderation rule refused the request; ``str(exc)`` says why, for the person who asked."""


class EvaluationInvalid(ModerationError):
    pass


class FlagActionRefused(ModerationError):
    pass


class AppealRefused(ModerationError):
    pass


class TransientEvaluationError(Exception):
    """The run stopped on an error that may pass (network, database); the evaluation is queued again."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Superseded(Exception):
    """Another run took the evaluation over; this one stops without writing."""


@dataclass
class MediaSource:
    """A local file to evaluate and what is known about where it came from."""

    path: Path
    details: dict


# --- Creating and starting evaluations --------------------------------------------------------------


def _url_check(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise EvaluationInvalid("A URL is required.")
    if len(url) > 2000:
        raise EvaluationInvalid("The URL is longer than 2000 characters.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise EvaluationInvalid("Enter a valid http or https URL.") from exc
    return url


def evaluation_create(*, video: Video | None = None, url: str | None = None, requested_by: User | None) -> Evaluation:
    """A queued evaluation of a video or of a URL (exactly one); nothing is enqueued."""
    if (video is None) == (not url):
        raise EvaluationInvalid("Give either a video or a URL, not both and not neither.")
    if video is not None:
        if not video.media_file and not video.source_url:
            raise EvaluationInvalid("The video has neither an uploaded file nor a link.")
        return Evaluation.objects.create(video=video, requested_by=requested_by)
    return Evaluation.objects.create(source_url=_url_check(url or ""), requested_by=requested_by)


def evaluation_enqueue(*, evaluation: Evaluation) -> None:
    """Send the evaluation to the moderation queue once the current transaction commits."""
    from moderation.tasks import evaluate  # the task module imports this one

    evaluation_id = evaluation.pk
    transaction.on_commit(lambda: evaluate.delay(evaluation_id))


@transaction.atomic
def evaluation_start(*, video: Video | None = None, url: str | None = None, requested_by: User | None) -> Evaluation:
    """Create the evaluation and enqueue it on commit; an uploaded video shows as being evaluated."""
    evaluation = evaluation_create(video=video, url=url, requested_by=requested_by)
    if video is not None:
        Video.objects.filter(pk=video.pk, status=Video.Status.PENDING).update(status=Video.Status.PROCESSING)
    evaluation_enqueue(evaluation=evaluation)
    logger.info("evaluation_started evaluation=%s video=%s", evaluation.public_id, video.pk if video else None)
    return evaluation


# --- Running the pipeline ----------------------------------------------------------------------------


class _Run:
    """One claimed run of an evaluation: every write is conditional on still owning it."""

    def __init__(self, evaluation: Evaluation, attempt: int) -> None:
        self.evaluation = evaluation
        self.attempt = attempt
        self.timings: dict[str, int] = {}
        self.started = time.monotonic()

    def _owned(self):
        return Evaluation.objects.filter(
            pk=self.evaluation.pk, attempts=self.attempt, status__in=Evaluation.ACTIVE_STATUSES
        )

    def write(self, **fields) -> None:
        if not self._owned().update(**fields):
            raise _Superseded
        for name, value in fields.items():
            setattr(self.evaluation, name, value)

    def timed(self, stage: str, started: float) -> None:
        self.timings[stage] = round((time.monotonic() - started) * 1000)

    def fail(self, *, code: str, message: str) -> None:
        self.timings["total"] = round((time.monotonic() - self.started) * 1000)
        with transaction.atomic():
            self.write(
                status=Evaluation.Status.FAILED,
                error_code=code[:64],
                error_message=message[:MAX_ERROR_MESSAGE],
                timings_ms=self.timings,
                finished_at=timezone.now(),
            )
            if self.evaluation.video_id:
                Video.objects.filter(
                    pk=self.evaluation.video_id, status__in=[Video.Status.PENDING, Video.Status.PROCESSING]
                ).update(status=Video.Status.FAILED)
        logger.info("evaluation_failed evaluation=%s code=%s", self.evaluation.public_id, code)

    def release(self) -> None:
        """Give the evaluation back to the queue (a later run claims it afresh)."""
        self.write(status=Evaluation.Status.QUEUED)


def _claim(evaluation: Evaluation) -> _Run | None:
    attempt = evaluation.attempts + 1
    claimed = Evaluation.objects.filter(
        pk=evaluation.pk, attempts=evaluation.attempts, status__in=Evaluation.ACTIVE_STATUSES
    ).update(
        attempts=attempt,
        status=Evaluation.Status.FETCHING,
        started_at=timezone.now(),
        error_code="",
        error_message="",
    )
    if not claimed:
        return None
    evaluation.refresh_from_db()
    return _Run(evaluation, attempt)


def _source_fetch(run: _Run, work_dir: Path) -> MediaSource:
    """A local file for the evaluation: the uploaded video's own file, or a download of the URL."""
    from moderation.media.fetch import media_fetch

    evaluation = run.evaluation
    started = time.monotonic()
    video = evaluation.video
    if video is not None and video.media_file:
        try:
            path = Path(video.media_file.path)
        except NotImplementedError:  # storage without local paths: copy it into the work folder
            path = work_dir / "upload"
            with video.media_file.open("rb") as source, path.open("wb") as target:
                shutil.copyfileobj(source, target)
        if not path.is_file():
            raise MediaError("file_missing", "The uploaded file of this video is missing from storage.")
        details = {"source": "upload", "size_bytes": path.stat().st_size}
    else:
        url = evaluation.source_url or (video.source_url if video else "")
        fetched = media_fetch(url=url, dest_dir=work_dir)
        path = fetched.path
        details = {
            "source": "url",
            "size_bytes": fetched.size_bytes,
            "content_type": fetched.content_type,
            "final_url": fetched.final_url,
            "redirects": fetched.redirects,
        }
    run.timed("fetch", started)
    return MediaSource(path=path, details=details)


def _pipeline(run: _Run, source: MediaSource) -> None:
    """From a local media file to a done evaluation (status transcribing, scoring, done)."""
    from moderation.classify import score_text
    from moderation.media.audio import audio_decode
    from moderation.transcribe import transcribe

    run.write(status=Evaluation.Status.TRANSCRIBING, media={"fetch": source.details}, timings_ms=run.timings)
    started = time.monotonic()
    samples, info = audio_decode(path=source.path)
    run.timed("decode", started)
    started = time.monotonic()
    transcript = transcribe(samples=samples)
    run.timed("transcribe", started)
    text = transcript.text or ""
    run.write(
        status=Evaluation.Status.SCORING,
        media={"fetch": source.details, "probe": info.as_dict()},
        transcript=text,
        segments=[{"start": s.start, "end": s.end, "text": s.text} for s in transcript.segments],
        language=transcript.language or "",
        asr_engine=transcript.engine or "",
        asr_model=transcript.model or "",
        timings_ms=run.timings,
    )

    started = time.monotonic()
    results = {task: score_text(task=task, text=text) for task in TASKS}
    run.timed("classify", started)
    local = {task: dict(result.probabilities) for task, result in results.items()}
    probabilities = {task: dict(p) for task, p in local.items()}
    deciders = dict.fromkeys(TASKS, Evaluation.Decider.LOCAL.value)
    unsure = [task for task in TASKS if results[task].top_probability < settings.MODERATION_LLM_THRESHOLD]
    llm_fields, llm_summary = _llm_fallback(run, text=text, unsure=unsure, local=local)
    for task in llm_fields.pop("decided_tasks", {}):
        probabilities[task] = llm_fields["probabilities"][task]
        deciders[task] = Evaluation.Decider.LLM.value
    llm_fields.pop("probabilities", None)

    scores = scores_compute(probabilities=probabilities)
    spans = {task: spans_keep(spans=results[task].spans, text=text) for task in TASKS}
    summary = summary_compose(scores=scores, transcript=text, spans=spans, llm_summary=llm_summary)
    run.timings["total"] = round((time.monotonic() - run.started) * 1000)
    with transaction.atomic():
        run.write(
            status=Evaluation.Status.DONE,
            probabilities=probabilities,
            local_probabilities=local,
            deciders=deciders,
            decided_by=(
                Evaluation.Decider.LLM
                if Evaluation.Decider.LLM.value in deciders.values()
                else Evaluation.Decider.LOCAL
            ),
            adapter_versions={task: results[task].adapter_version for task in TASKS},
            spans=spans,
            hate_risk=scores.hate_risk,
            mental_health_risk=scores.mental_health_risk,
            clickbait_risk=scores.clickbait_risk,
            safety_risk_score=scores.safety_risk_score,
            quality_score=scores.quality_score,
            flagged=scores.flagged,
            summary=summary,
            scoring_config=scoring_config(),
            timings_ms=run.timings,
            finished_at=timezone.now(),
            **llm_fields,
        )
        _outcome_apply(run.evaluation)
    logger.info(
        "evaluation_done evaluation=%s quality=%.1f flagged=%s decided_by=%s total_ms=%s",
        run.evaluation.public_id,
        scores.quality_score,
        scores.flagged,
        run.evaluation.decided_by,
        run.timings["total"],
    )


def _llm_fallback(run: _Run, *, text: str, unsure: list[str], local: dict) -> tuple[dict, str]:
    """Fields to store about the LLM step, and the LLM's summary ("" when it did not decide)."""
    from moderation.llm import LlmUnavailable, llm_configured, llm_verdict

    if not unsure:
        return {"needs_human_review": False, "llm_error": ""}, ""
    if not llm_configured():
        return {"needs_human_review": True, "llm_error": "no_key: no GEMINI_API_KEY configured"}, ""
    started = time.monotonic()
    try:
        verdict = llm_verdict(transcript=text, tasks=unsure, local={task: local[task] for task in unsure})
    except LlmUnavailable as exc:
        run.timed("llm", started)
        logger.warning("llm_fallback_failed evaluation=%s code=%s", run.evaluation.public_id, exc.code)
        return {"needs_human_review": True, "llm_error": f"{exc.code}: {exc.message}"[:200]}, ""
    run.timed("llm", started)
    return {
        "needs_human_review": False,
        "llm_error": "",
        "llm_model": verdict.model,
        "llm_rationale": verdict.rationale,
        "probabilities": verdict.probabilities,
        "decided_tasks": list(verdict.probabilities),
    }, verdict.summary


def _outcome_apply(evaluation: Evaluation) -> None:
    """After a done evaluation: raise the automatic flag and show the video's state (in the caller's transaction)."""
    video = evaluation.video
    if evaluation.flagged:
        reason = (
            f"Quality score {evaluation.quality_score:.1f} is below {settings.MODERATION_FLAG_THRESHOLD:g}. "
            f"{evaluation.summary}"
        )
        Flag.objects.get_or_create(
            evaluation=evaluation,
            origin=Flag.Origin.AUTOMATIC,
            defaults={
                "video": video,
                "source_url": evaluation.source_url,
                "creator_id": video.creator_id if video else None,
                "reason": reason,
            },
        )
    if video is not None:
        new_status = Video.Status.FLAGGED if evaluation.flagged else Video.Status.PUBLISHED
        movable = [Video.Status.PENDING, Video.Status.PROCESSING, Video.Status.FAILED]
        if evaluation.flagged:
            movable.append(Video.Status.PUBLISHED)
        Video.objects.filter(pk=video.pk, status__in=movable).update(status=new_status)


def _run_guarded(run: _Run, work_dir: Path, source: MediaSource | None, *, retry_transient: bool) -> None:
    """Run the pipeline, turning every failure into a stored status (or a transient error to retry)."""
    from moderation.classify import AdapterMissing

    try:
        _pipeline(run, source or _source_fetch(run, work_dir))
    except _Superseded:
        logger.info("evaluation_superseded evaluation=%s attempt=%s", run.evaluation.public_id, run.attempt)
    except MediaError as exc:
        if retry_transient and exc.code in TRANSIENT_FETCH_CODES:
            run.release()
            raise TransientEvaluationError(exc.code, exc.message) from exc
        run.fail(code=exc.code, message=exc.message)
    except (TranscriptionUnavailable, AdapterMissing) as exc:
        run.fail(code="model_unavailable", message=str(exc))
    except OperationalError as exc:
        if not retry_transient:
            raise
        # If this fails too, the next run finds the row in an active status and claims it anyway.
        with contextlib.suppress(OperationalError, _Superseded):
            run.release()
        raise TransientEvaluationError("database_unavailable", str(exc)) from exc
    except Exception as exc:
        logger.exception("evaluation_crashed evaluation=%s", run.evaluation.public_id)
        run.fail(code="internal_error", message=f"{type(exc).__name__}: {exc}")
        raise


def evaluation_run(
    *, evaluation_id: int, source: MediaSource | None = None, retry_transient: bool = False
) -> Evaluation | None:
    """Run the pipeline for a queued evaluation; a done or failed one is returned unchanged.

    ``retry_transient``: on a network or database error, put the evaluation back in the queue and
    raise ``TransientEvaluationError`` (the task retries) instead of storing a failure.
    """
    evaluation = Evaluation.objects.select_related("video").filter(pk=evaluation_id).first()
    if evaluation is None:
        logger.warning("evaluation_missing evaluation_id=%s", evaluation_id)
        return None
    if evaluation.status in Evaluation.FINAL_STATUSES:
        logger.info("evaluation_already_final evaluation=%s status=%s", evaluation.public_id, evaluation.status)
        return evaluation
    run = _claim(evaluation)
    if run is None:
        return Evaluation.objects.get(pk=evaluation_id)
    with tempfile.TemporaryDirectory(prefix="moderation-") as work_dir:
        _run_guarded(run, Path(work_dir), source, retry_transient=retry_transient)
    return Evaluation.objects.select_related("video").get(pk=evaluation_id)


def evaluation_fail(*, evaluation_id: int, code: str, message: str) -> Evaluation | None:
    """Mark an evaluation that is not final as failed (the task gave up retrying)."""
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is None or evaluation.status in Evaluation.FINAL_STATUSES:
        return evaluation
    run = _claim(evaluation)
    if run is not None:
        run.fail(code=code, message=message)
    return Evaluation.objects.get(pk=evaluation_id)


@dataclass
class ContentCheck:
    evaluation: Evaluation
    deferred: bool = False  # too long to answer at once: queued for a worker
    refused: bool = False  # the URL was refused by the fetcher (the caller's input), not a media error


def content_check(*, requested_by: User, url: str | None = None, video: Video | None = None) -> ContentCheck:
    """checkContent: evaluate at once when the media is short, otherwise queue it.

    The media is fetched and probed first; up to ``MODERATION_SYNC_MAX_SECONDS`` of media (or an
    unknown duration) the whole pipeline runs in this call, longer media go to the queue.
    Refusals and media errors are stored on the evaluation (status failed) and returned.
    """
    from moderation.media.audio import media_probe

    evaluation = evaluation_create(video=video, url=url, requested_by=requested_by)
    run = _claim(evaluation)
    if run is None:  # pragma: no cover - a fresh row cannot be claimed by anyone else
        raise RuntimeError("a new evaluation was claimed by another run")
    with tempfile.TemporaryDirectory(prefix="moderation-") as work_dir:
        try:
            source = _source_fetch(run, Path(work_dir))
            info = media_probe(path=source.path)
        except MediaError as exc:
            run.fail(code=exc.code, message=exc.message)
            evaluation = Evaluation.objects.get(pk=evaluation.pk)
            return ContentCheck(evaluation=evaluation, refused=isinstance(exc, FetchRefused))
        duration = info.duration_seconds
        if duration is None or duration > settings.MODERATION_SYNC_MAX_SECONDS:
            run.release()
            evaluation_enqueue(evaluation=evaluation)
            logger.info("content_check_deferred evaluation=%s seconds=%s", evaluation.public_id, duration)
            return ContentCheck(evaluation=Evaluation.objects.get(pk=evaluation.pk), deferred=True)
        _run_guarded(run, Path(work_dir), source, retry_transient=False)
    return ContentCheck(evaluation=Evaluation.objects.select_related("video").get(pk=evaluation.pk), deferred=False)


def moderation_models_preload() -> None:
    """Load the speech and text models now (a moderation worker process, before its first task)."""
    from moderation.classify import preload
    from moderation.transcribe import transcriber_preload

    started = time.monotonic()
    transcriber_preload()
    preload()
    logger.info("moderation_models_preloaded seconds=%.1f", time.monotonic() - started)


# --- Flags ---------------------------------------------------------------------------------------------


def flag_report(
    *,
    reported_by: User,
    reason: str,
    video: Video | None = None,
    url: str | None = None,
    evaluation: Evaluation | None = None,
) -> Flag:
    """Store a reported item for Trust & Safety review."""
    reason = (reason or "").strip()
    if not reason:
        raise FlagActionRefused("A reason is required.")
    if evaluation is not None and video is None and not url:
        video, url = evaluation.video, evaluation.source_url
    if (video is None) == (not url):
        raise FlagActionRefused("Give either a video or a URL.")
    flag = Flag.objects.create(
        origin=Flag.Origin.REPORTED,
        video=video,
        source_url="" if video is not None else _url_check(url or ""),
        creator_id=video.creator_id if video is not None else None,
        evaluation=evaluation,
        reason=reason,
        reported_by=reported_by,
    )
    logger.info("flag_reported flag=%s video=%s", flag.public_id, video.pk if video else None)
    return flag


# action -> (statuses it applies to, status it leads to)
FLAG_TRANSITIONS = {
    FlagReview.Action.CONFIRM: ((Flag.Status.OPEN, Flag.Status.ESCALATED), Flag.Status.CONFIRMED),
    FlagReview.Action.DISMISS: ((Flag.Status.OPEN, Flag.Status.ESCALATED), Flag.Status.DISMISSED),
    FlagReview.Action.ESCALATE: ((Flag.Status.OPEN,), Flag.Status.ESCALATED),
}


@transaction.atomic
def flag_review(*, flag: Flag, reviewer: User, action: str, reason: str) -> FlagReview:
    """A Trust & Safety decision on a flag, with its reason; audited. Confirm removes the video,
    dismiss publishes it again."""
    if not reviewer.has_perm("moderation.review_flag"):
        raise FlagActionRefused("Only Trust & Safety staff act on flags.")
    if action not in FLAG_TRANSITIONS:
        raise FlagActionRefused(f"Unknown action {action!r}.")
    reason = (reason or "").strip()
    if not reason:
        raise FlagActionRefused("A reason is required.")
    allowed_from, to_status = FLAG_TRANSITIONS[action]
    current = Flag.objects.select_for_update().get(pk=flag.pk)
    if current.status not in allowed_from:
        done = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated"}[action]
        raise FlagActionRefused(f"A flag that is {current.get_status_display().lower()} cannot be {done}.")
    now = timezone.now()
    Flag.objects.filter(pk=flag.pk, status=current.status).update(status=to_status, decided_at=now)
    review = FlagReview.objects.create(
        flag=current, reviewer=reviewer, action=action, from_status=current.status, to_status=to_status, reason=reason
    )
    if current.video_id and action == FlagReview.Action.CONFIRM:
        Video.objects.filter(pk=current.video_id).exclude(status=Video.Status.REMOVED).update(
            status=Video.Status.REMOVED
        )
    elif current.video_id and action == FlagReview.Action.DISMISS:
        Video.objects.filter(pk=current.video_id, status=Video.Status.FLAGGED).update(status=Video.Status.PUBLISHED)
    audit(
        actor=reviewer,
        action=f"moderation.flag_{action}",
        instance=current,
        before={"status": current.status},
        after={"status": to_status},
        reason=reason,
    )
    flag.status, flag.decided_at = to_status, now
    logger.info("flag_reviewed flag=%s action=%s reviewer=%s", flag.public_id, action, reviewer.pk)
    return review


# --- Appeals -------------------------------------------------------------------------------------------

APPEALABLE = (Flag.Status.OPEN, Flag.Status.ESCALATED, Flag.Status.CONFIRMED)


def appeal_create(*, flag: Flag, appellant: User, statement: str) -> Appeal:
    """The creator's one appeal against a flag on their content."""
    statement = (statement or "").strip()
    if flag.creator_id is None or flag.creator.user_id != appellant.pk:
        raise AppealRefused("Only the creator of the flagged content can appeal.")
    if flag.status not in APPEALABLE:
        raise AppealRefused("This flag is closed; there is nothing to appeal.")
    if not statement:
        raise AppealRefused("Say why the flag is wrong.")
    if len(statement) > 4000:
        raise AppealRefused("The statement is longer than 4000 characters.")
    if Appeal.objects.filter(flag=flag).exists():
        raise AppealRefused("This flag has already been appealed; each flag can be appealed once.")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(flag=flag, appellant=appellant, statement=statement)
            audit(actor=appellant, action="moderation.appeal_filed", instance=appeal, after={"flag": flag.pk})
    except IntegrityError as exc:  # a second request raced past the check above
        raise AppealRefused("This flag has already been appealed; each flag can be appealed once.") from exc
    logger.info("appeal_filed appeal=%s flag=%s", appeal.public_id, flag.public_id)
    return appeal


@transaction.atomic
def appeal_resolve(*, appeal: Appeal, resolver: User, outcome: str, reason: str) -> Appeal:
    """Uphold (the flag stands) or overturn (the flag is lifted, the video published); audited."""
    if not resolver.has_perm("moderation.resolve_appeal"):
        raise AppealRefused("Only Trust & Safety staff resolve appeals.")
    if outcome not in (Appeal.Status.UPHELD, Appeal.Status.OVERTURNED):
        raise AppealRefused(f"Unknown outcome {outcome!r}.")
    reason = (reason or "").strip()
    if not reason:
        raise AppealRefused("A reason is required.")
    now = timezone.now()
    changed = Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.PENDING).update(
        status=outcome, resolution_reason=reason, resolved_by=resolver, resolved_at=now
    )
    if not changed:
        raise AppealRefused("This appeal has already been resolved.")
    flag = Flag.objects.select_for_update().get(pk=appeal.flag_id)
    if outcome == Appeal.Status.OVERTURNED:
        Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.OVERTURNED, decided_at=now)
        if flag.video_id:
            Video.objects.filter(pk=flag.video_id, status__in=[Video.Status.FLAGGED, Video.Status.REMOVED]).update(
                status=Video.Status.PUBLISHED
            )
    audit(
        actor=resolver,
        action=f"moderation.appeal_{outcome}",
        instance=appeal,
        before={"status": Appeal.Status.PENDING, "flag_status": flag.status},
        after={
            "status": outcome,
            "flag_status": Flag.Status.OVERTURNED if outcome == Appeal.Status.OVERTURNED else flag.status,
        },
        reason=reason,
    )
    appeal.refresh_from_db()
    logger.info("appeal_resolved appeal=%s outcome=%s resolver=%s", appeal.public_id, outcome, resolver.pk)
    return appeal
