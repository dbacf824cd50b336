"""Admin for KYC: the review queue, staff decisions, and phone-trust records (read-only).

Nothing here edits a submission directly: approve, reject and escalate ask for a reason on an
intermediate page and call ``kyc_review_decide``, which checks the status, writes the KycReview and
the AuditEvent. Documents open through the access-checked view, never through a storage URL.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from compliance.kyc.services import KycDecisionError, kyc_review_decide
from compliance.models import IdentityDocument, KycReview, KycSubmission, PhoneLookupAudit, PhoneTrustAssessment
from valuetok.admin_tools import ReadOnlyAdmin, decision_page

RESULT_COLOURS = {"pass": "#2e7d32", "warn": "#b26a00", "fail": "#c62828"}
DECISION_TEMPLATE = "compliance/kyc/review_decision.html"


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        min_length=5,
        help_text="Why: what you checked and what you found. Stored in the audit trail.",
    )


class IdentityDocumentInline(admin.TabularInline):
    model = IdentityDocument
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["doc_type", "number", "issuing_country", "issue_date", "expiry_date", "content_type", "size_bytes"]
    fields += ["open"]
    readonly_fields = fields

    @admin.display(description="file")
    def open(self, document: IdentityDocument) -> str:
        url = reverse("compliance:kyc-document", kwargs={"document_id": document.public_id})
        return format_html('<a href="{}">download ({})</a>', url, document.content_type)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class KycReviewInline(admin.TabularInline):
    model = KycReview
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["decided_at", "reviewer", "decision", "from_status", "to_status", "level", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(KycSubmission)
class KycSubmissionAdmin(admin.ModelAdmin):
    """The review queue: submissions in review first, oldest first; everything read-only."""

    list_display = [
        "short_id",
        "user",
        "legal_name",
        "status",
        "level",
        "score",
        "sanctions_hit",
        "enhanced_review",
        "submitted_at",
        "expires_at",
    ]
    list_filter = ["status", "level", "enhanced_review", "nationality"]
    search_fields = ["given_names", "surname", "user__email", "=public_id"]
    list_select_related = ["user"]
    date_hierarchy = "submitted_at"
    ordering = [
        Case(When(status="needs_review", then=Value(0)), default=Value(1), output_field=IntegerField()).asc(),
        "submitted_at",
    ]
    actions = ["approve_selected", "reject_selected", "escalate_selected"]
    inlines = [IdentityDocumentInline, KycReviewInline]
    fieldsets = [
        ("Decision", {"fields": ["status", "level", "eligible_level", "score", "enhanced_review", "escalated_by",
                                 "submitted_at", "decided_at", "expires_at", "decide"]}),
        ("Checks", {"fields": ["checks_table"]}),
        ("Sanctions and PEP screening", {"fields": ["screening_table"]}),
        ("Person", {"fields": ["public_id", "user", "given_names", "surname", "aliases", "date_of_birth", "sex",
                               "nationality", "address_line1", "address_line2", "city", "postal_code",
                               "address_country", "phone_number", "email"]}),
    ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f for section in self.fieldsets for f in section[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # decisions go through the actions and the service, never through the form

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compliance.review_kycsubmission")

    @admin.display(description="id")
    def short_id(self, submission: KycSubmission) -> str:
        return submission.public_id.hex[:8]

    @admin.display(description="sanctions hit", boolean=True)
    def sanctions_hit(self, submission: KycSubmission) -> bool:
        return any(m.get("over_line") for m in submission.screening_matches)

    @admin.display(description="checks")
    def checks_table(self, submission: KycSubmission) -> str:
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td style="color:{};font-weight:bold">{}</td><td>{}</td></tr>',
            (
                (
                    f.get("check", ""),
                    f.get("document", ""),
                    RESULT_COLOURS.get(f.get("result"), "inherit"),
                    f.get("result", "").upper(),
                    f.get("reason", ""),
                )
                for f in submission.flags
            ),
        )
        return format_html(
            "<table><thead><tr><th>check</th><th>document</th><th>result</th><th>reason</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="matches")
    def screening_table(self, submission: KycSubmission) -> str:
        if not submission.screening_matches:
            return "No match reported."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    m.get("list_kind"),
                    m.get("ent_num"),
                    m.get("entry_name"),
                    m.get("matched_name"),
                    m.get("name_kind"),
                    f"{float(m.get('score', 0)):.2f}",
                    "over the line" if m.get("over_line") else "below",
                )
                for m in submission.screening_matches
            ),
        )
        return format_html(
            "<table><thead><tr><th>list</th><th>entry</th><th>listed name</th><th>matched name</th><th>score</th>"
            "<th></th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="decide")
    def decide(self, submission: KycSubmission) -> str:
        links = [
            (reverse("admin:compliance_kycsubmission_decide", args=[submission.pk, decision]), label)
            for decision, label in KycReview.Decision.choices
        ]
        return format_html_join(" | ", '<a href="{}">{}</a>', links)

    # --- Decisions -------------------------------------------------------------------------------------

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:object_id>/decide/<str:decision>/", decide, name="compliance_kycsubmission_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        """One submission, one decision: the reason form, then the service."""
        if decision not in KycReview.Decision.values:
            return HttpResponseRedirect(reverse("admin:compliance_kycsubmission_change", args=[object_id]))
        if not self.has_review_permission(request):
            raise PermissionDenied
        submission = get_object_or_404(KycSubmission, pk=object_id)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._apply(request, [submission], decision, form.cleaned_data["reason"])
            return HttpResponseRedirect(reverse("admin:compliance_kycsubmission_change", args=[submission.pk]))
        return self._decision_page(request, [submission], decision, form, action=None)

    def _apply(self, request: HttpRequest, submissions, decision: str, reason: str) -> None:
        done = 0
        for submission in submissions:
            try:
                kyc_review_decide(submission=submission, reviewer=request.user, decision=decision, reason=reason)
                done += 1
            except KycDecisionError as exc:
                self.message_user(request, f"{submission}: {exc}", messages.ERROR)
        if done:
            label = KycReview.Decision(decision).label.lower()
            self.message_user(request, f"{label}: {done} submission(s).", messages.SUCCESS)

    def _decision_page(self, request: HttpRequest, submissions, decision: str, form, action: str | None):
        return decision_page(
            model_admin=self, request=request, objects=submissions, label=KycReview.Decision(decision).label,
            form=form, action=action, template=DECISION_TEMPLATE,
        )  # fmt: skip

    def _decide_selected(self, request: HttpRequest, queryset: QuerySet, decision: str):
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._apply(request, list(queryset), decision, form.cleaned_data["reason"])
            return None
        return self._decision_page(request, list(queryset), decision, form, action=request.POST.get("action"))

    @admin.action(description="Approve selected submissions (asks for a reason)", permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, KycReview.Decision.APPROVE)

    @admin.action(description="Reject selected submissions (asks for a reason)", permissions=["review"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, KycReview.Decision.REJECT)

    @admin.action(description="Escalate to enhanced due diligence (asks for a reason)", permissions=["review"])
    def escalate_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, KycReview.Decision.ESCALATE)


@admin.register(KycReview)
class KycReviewAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "submission", "reviewer", "decision", "from_status", "to_status", "level"]
    list_filter = ["decision", "to_status"]
    list_select_related = ["submission", "reviewer"]
    search_fields = ["submission__surname", "reviewer__email", "reason"]


@admin.register(PhoneTrustAssessment)
class PhoneTrustAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["assessed_at", "user", "phone", "score", "line_type", "country", "provider"]
    list_filter = ["line_type", "provider"]
    list_select_related = ["user"]
    search_fields = ["phone", "user__email"]


@admin.register(PhoneLookupAudit)
class PhoneLookupAuditAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "provider", "phone", "attempt", "status_code", "outcome", "latency_ms"]
    list_filter = ["provider", "outcome"]
    search_fields = ["phone"]
