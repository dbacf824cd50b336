"""Admin for moderation: the flag review queue, appeals, and evaluations (read-only).

Nothing here edits a flag or an appeal through a form. Confirm, dismiss and escalate (and uphold,
overturn for appeals) ask for a reason on an intermediate page and call the service, which checks
the status and the permission, writes the review and the audit event. Only Trust & Safety holds
the permissions (moderation migration 0002); other staff get 403.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from moderation.models import Appeal, Evaluation, Flag, FlagReview
from moderation.selectors import FLAG_QUEUE_ORDER, evaluation_transcript_html, flag_queue
from moderation.services import AppealRefused, FlagActionRefused, appeal_resolve, flag_review
from moderation.summary import driving_spans
from valuetok.admin_tools import ReadOnlyAdmin, decision_page


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        min_length=5,
        max_length=4000,
        help_text="Why: what you checked and what you found. Stored in the audit trail.",
    )


def _scores_table(evaluation: Evaluation | None) -> str:
    if evaluation is None:
        return "No evaluation."
    if evaluation.quality_score is None:
        return format_html("Evaluation {} is {}.", evaluation.public_id.hex[:8], evaluation.get_status_display())
    rows = [
        ("quality (0-100)", f"{evaluation.quality_score:.1f}"),
        ("safety risk (0.7 hate + 0.3 mental health)", f"{evaluation.safety_risk_score:.3f}"),
        ("hate risk", f"{evaluation.hate_risk:.3f}"),
        ("self-harm / distress risk", f"{evaluation.mental_health_risk:.3f}"),
        ("clickbait risk", f"{evaluation.clickbait_risk:.3f}"),
        ("decided by", ", ".join(f"{task}: {who}" for task, who in evaluation.deciders.items())),
        ("needs human review", "yes" if evaluation.needs_human_review else "no"),
    ]
    body = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    return format_html("<table>{}</table>", body)


def _transcript_block(evaluation: Evaluation | None) -> str:
    if evaluation is None or not evaluation.transcript:
        return "No speech."
    spans = driving_spans(spans=evaluation.spans or {})
    legend = format_html_join(
        "", "<li>{} ({}): “{}”</li>", ((s["task"], f"{s['risk']:.2f}", s["text"][:200]) for s in spans)
    )
    return format_html(
        '<div style="white-space:pre-wrap;max-width:60rem">{}</div><ul>{}</ul>',
        evaluation_transcript_html(evaluation=evaluation),
        legend,
    )


class FlagReviewInline(admin.TabularInline):
    model = FlagReview
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["decided_at", "reviewer", "action", "from_status", "to_status", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class _DecisionMixin:
    """Reason page + service call, for one object (a link) or for selected ones (an action)."""

    decision_labels: dict[str, str] = {}

    def _decision_page(self, request, objects, decision: str, form, action: str | None) -> HttpResponse:
        return decision_page(
            model_admin=self, request=request, objects=objects, label=self.decision_labels[decision], form=form,
            action=action,
        )  # fmt: skip

    def _decide_selected(self, request: HttpRequest, queryset: QuerySet, decision: str):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._apply(request, list(queryset), decision, form.cleaned_data["reason"])
            return None
        return self._decision_page(request, list(queryset), decision, form, action=request.POST.get("action"))

    def _decide_one(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        change_url = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change", args=[object_id]
        )
        if decision not in self.decision_labels:
            return HttpResponseRedirect(change_url)
        if not self.has_decide_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=object_id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._apply(request, [obj], decision, form.cleaned_data["reason"])
            return HttpResponseRedirect(change_url)
        return self._decision_page(request, [obj], decision, form, action=None)


@admin.register(Flag)
class FlagAdmin(_DecisionMixin, ReadOnlyAdmin):
    """The review queue: escalated, then open flags, oldest first."""

    decision_labels = dict(FlagReview.Action.choices)
    list_display = ["short_id", "status", "origin", "subject", "quality", "creator", "created_at", "appeal_status"]
    list_filter = ["status", "origin"]
    ordering = FLAG_QUEUE_ORDER
    search_fields = ["=public_id", "reason", "source_url", "video__title", "creator__handle"]
    actions = ["confirm_selected", "dismiss_selected", "escalate_selected"]
    inlines = [FlagReviewInline]
    fieldsets = [
        ("Flag", {"fields": ["public_id", "status", "origin", "subject", "creator", "reason", "reported_by",
                             "created_at", "decided_at", "appeal_status", "decide"]}),
        ("Scores", {"fields": ["scores", "summary"]}),
        ("Transcript (passages that drove the scores are highlighted)", {"fields": ["transcript"]}),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flag]:
        return flag_queue().select_related("appeal")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f for section in self.fieldsets for f in section[1]["fields"]]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.review_flag")

    has_review_permission = has_decide_permission

    @admin.display(description="id")
    def short_id(self, flag: Flag) -> str:
        return flag.public_id.hex[:8]

    @admin.display(description="content")
    def subject(self, flag: Flag) -> str:
        if flag.video_id:
            return format_html("video “{}” ({})", flag.video.title, flag.video.public_id.hex[:8])
        return flag.source_url

    @admin.display(description="quality")
    def quality(self, flag: Flag) -> str:
        score = flag.evaluation.quality_score if flag.evaluation_id else None
        return "-" if score is None else f"{score:.1f}"

    @admin.display(description="appeal")
    def appeal_status(self, flag: Flag) -> str:
        appeal = getattr(flag, "appeal", None)
        return appeal.get_status_display() if appeal else "-"

    @admin.display(description="scores")
    def scores(self, flag: Flag) -> str:
        return _scores_table(flag.evaluation)

    @admin.display(description="summary")
    def summary(self, flag: Flag) -> str:
        return flag.evaluation.summary if flag.evaluation_id else "-"

    @admin.display(description="transcript")
    def transcript(self, flag: Flag) -> str:
        return _transcript_block(flag.evaluation)

    @admin.display(description="decide")
    def decide(self, flag: Flag) -> str:
        links = [
            (reverse("admin:moderation_flag_decide", args=[flag.pk, action]), label)
            for action, label in FlagReview.Action.choices
        ]
        return format_html_join(" | ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        decide = self.admin_site.admin_view(self._decide_one)
        return [
            path("<int:object_id>/decide/<str:decision>/", decide, name="moderation_flag_decide"),
            *super().get_urls(),
        ]

    def _apply(self, request: HttpRequest, flags, action: str, reason: str) -> None:
        done = 0
        for flag in flags:
            try:
                flag_review(flag=flag, reviewer=request.user, action=action, reason=reason)
                done += 1
            except FlagActionRefused as exc:
                self.message_user(request, f"{flag}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{self.decision_labels[action]}: {done} flag(s).", messages.SUCCESS)

    @admin.action(description="Confirm selected flags (asks for a reason)", permissions=["review"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, FlagReview.Action.CONFIRM)

    @admin.action(description="Dismiss selected flags (asks for a reason)", permissions=["review"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, FlagReview.Action.DISMISS)

    @admin.action(description="Escalate selected flags (asks for a reason)", permissions=["review"])
    def escalate_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, FlagReview.Action.ESCALATE)


@admin.register(Appeal)
class AppealAdmin(_DecisionMixin, ReadOnlyAdmin):
    decision_labels = {Appeal.Status.UPHELD.value: "Uphold", Appeal.Status.OVERTURNED.value: "Overturn"}
    list_display = ["short_id", "status", "flag", "appellant", "created_at", "resolved_at", "resolved_by"]
    list_filter = ["status"]
    search_fields = ["=public_id", "appellant__email", "statement"]
    list_select_related = ["flag", "appellant", "resolved_by"]
    actions = ["uphold_selected", "overturn_selected"]
    fieldsets = [
        ("Appeal", {"fields": ["public_id", "status", "appellant", "statement", "created_at", "resolve"]}),
        ("Resolution", {"fields": ["resolved_by", "resolved_at", "resolution_reason"]}),
        ("Flag", {"fields": ["flag_link", "flag_reason", "scores", "transcript"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f for section in self.fieldsets for f in section[1]["fields"]]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.resolve_appeal")

    has_resolve_permission = has_decide_permission

    @admin.display(description="id")
    def short_id(self, appeal: Appeal) -> str:
        return appeal.public_id.hex[:8]

    @admin.display(description="flag")
    def flag_link(self, appeal: Appeal) -> str:
        url = reverse("admin:moderation_flag_change", args=[appeal.flag_id])
        return format_html('<a href="{}">{} ({})</a>', url, appeal.flag, appeal.flag.get_origin_display())

    @admin.display(description="why it was flagged")
    def flag_reason(self, appeal: Appeal) -> str:
        return appeal.flag.reason

    @admin.display(description="scores")
    def scores(self, appeal: Appeal) -> str:
        return _scores_table(appeal.flag.evaluation)

    @admin.display(description="transcript")
    def transcript(self, appeal: Appeal) -> str:
        return _transcript_block(appeal.flag.evaluation)

    @admin.display(description="resolve")
    def resolve(self, appeal: Appeal) -> str:
        if appeal.status != Appeal.Status.PENDING:
            return "Resolved."
        links = [
            (reverse("admin:moderation_appeal_decide", args=[appeal.pk, outcome]), label)
            for outcome, label in self.decision_labels.items()
        ]
        return format_html_join(" | ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        decide = self.admin_site.admin_view(self._decide_one)
        return [
            path("<int:object_id>/decide/<str:decision>/", decide, name="moderation_appeal_decide"),
            *super().get_urls(),
        ]

    def _apply(self, request: HttpRequest, appeals, outcome: str, reason: str) -> None:
        done = 0
        for appeal in appeals:
            try:
                appeal_resolve(appeal=appeal, resolver=request.user, outcome=outcome, reason=reason)
                done += 1
            except AppealRefused as exc:
                self.message_user(request, f"{appeal}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{self.decision_labels[outcome]}: {done} appeal(s).", messages.SUCCESS)

    @admin.action(description="Uphold selected appeals: the flag stands (asks for a reason)", permissions=["resolve"])
    def uphold_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, Appeal.Status.UPHELD)

    @admin.action(description="Overturn selected appeals: lift the flag (asks for a reason)", permissions=["resolve"])
    def overturn_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, Appeal.Status.OVERTURNED)


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = [
        "short_id", "status", "source_label", "quality_score", "flagged", "decided_by", "needs_human_review",
        "error_code", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "flagged", "needs_human_review", "decided_by", "error_code"]
    search_fields = ["=public_id", "source_url", "video__title", "transcript"]
    list_select_related = ["video"]
    exclude = ["spans", "segments"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude] + ["highlighted"]

    @admin.display(description="id")
    def short_id(self, evaluation: Evaluation) -> str:
        return evaluation.public_id.hex[:8]

    @admin.display(description="transcript, highlighted")
    def highlighted(self, evaluation: Evaluation) -> str:
        return _transcript_block(evaluation)


@admin.register(FlagReview)
class FlagReviewAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "flag", "reviewer", "action", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    list_select_related = ["flag", "reviewer"]
    search_fields = ["reviewer__email", "reason"]
