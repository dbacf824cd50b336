"""Reads of moderation data that carry a rule: who sees which evaluation and which flag."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.safestring import SafeString

from creators.models import User
from moderation.models import Evaluation, Flag
from moderation.summary import driving_spans, transcript_highlight


def evaluation_visible_to(*, user: User) -> QuerySet[Evaluation]:
    """Evaluations a user may read: those they asked for or of their own videos; T&S staff see all."""
    evaluations = Evaluation.objects.select_related("video")
    if user.is_staff and user.has_perm("moderation.view_evaluation"):
        return evaluations
    return evaluations.filter(Q(requested_by=user) | Q(video__creator__user=user))


def flags_for_creator(*, user: User) -> QuerySet[Flag]:
    """The flags on a creator's own content, newest first, with their appeal (if any)."""
    return (
        Flag.objects.filter(creator__user=user)
        .select_related("video", "evaluation", "appeal")
        .order_by("-created_at", "-id")
    )


def flag_for_creator(*, user: User, public_id) -> Flag | None:
    return flags_for_creator(user=user).filter(public_id=public_id).first()


# The review queue's order: escalated first, then open, oldest first; closed flags after.
FLAG_QUEUE_ORDER = [
    Case(
        When(status=Flag.Status.ESCALATED, then=Value(0)),
        When(status=Flag.Status.OPEN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    ).asc(),
    "created_at",
    "id",
]


def flag_queue() -> QuerySet[Flag]:
    return Flag.objects.select_related("video", "evaluation", "creator").order_by(*FLAG_QUEUE_ORDER)


def evaluation_transcript_html(*, evaluation: Evaluation) -> SafeString:
    """The transcript, escaped, with the passages that drove the scores in ``<mark>``."""
    return transcript_highlight(text=evaluation.transcript, spans=driving_spans(spans=evaluation.spans or {}))
