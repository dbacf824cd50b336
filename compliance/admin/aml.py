"""Admin for AML on gifts: decisions (read-only), alerts, and the cases staff work.

A case page shows its alerts, the accounts involved with what they sent and received, the recent
gifts in and out of them, the comments and the attachments; below, one form assigns, comments,
attaches and resolves. Every change goes through ``compliance.aml.services`` and is audited. The
engine creates cases and alerts; nobody adds or deletes them here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from compliance.aml import selectors
from compliance.aml.limits import dollars
from compliance.aml.services import (
    CaseStateError,
    audit,
    case_assign,
    case_attachment_add,
    case_comment_add,
    case_resolve,
)
from compliance.models import AmlAlert, AmlCase, AuditEvent, CaseAttachment, GiftRequest
from valuetok.admin_tools import EstimatedCountPaginator, ReadOnlyAdmin


def _hits_html(hits: list[dict]):
    if not hits:
        return "-"
    return format_html(
        "<ul style='margin:0;padding-left:1em'>{}</ul>",
        format_html_join("", "<li><b>{}</b> (+{}): {}</li>",
                         ((h.get("rule"), h.get("score"), h.get("reason")) for h in hits)),
    )  # fmt: skip


@admin.register(GiftRequest)
class GiftRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "decision", "risk_score", "sender", "receiver", "amount", "country",
                    "is_hosting_network", "config_version"]  # fmt: skip
    list_filter = ["decision", "is_hosting_network", "config_version", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=public_id", "=idempotency_key", "=device_id", "=ip_prefix_hash", "sender__email",
                     "receiver__handle"]  # fmt: skip
    list_select_related = ["sender", "receiver"]
    raw_id_fields = ["sender", "receiver", "receiver_user"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    exclude = ["rule_hits"]
    readonly_fields = ["reasons"]

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, gift: GiftRequest) -> str:
        return dollars(gift.amount_cents)

    @admin.display(description="rules that fired")
    def reasons(self, gift: GiftRequest):
        return _hits_html(gift.rule_hits)


@admin.register(AmlAlert)
class AmlAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subject", "case_link", "decision", "risk_score", "rule_names", "source"]
    list_filter = ["decision", "source", "config_version", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["subject__email", "=gift__public_id"]
    list_select_related = ["subject", "case"]
    raw_id_fields = ["subject", "gift", "case"]
    exclude = ["rules"]
    readonly_fields = ["reasons"]

    @admin.display(description="case")
    def case_link(self, alert: AmlAlert):
        url = reverse("admin:compliance_amlcase_change", args=[alert.case_id])
        return format_html('<a href="{}">case {}</a>', url, alert.case_id)

    @admin.display(description="rules")
    def rule_names(self, alert: AmlAlert) -> str:
        return ", ".join(h.get("rule", "?") for h in alert.rules)

    @admin.display(description="rules that fired")
    def reasons(self, alert: AmlAlert):
        return _hits_html(alert.rules)


class CaseWorkForm(forms.ModelForm):
    """What staff do on a case page. The case's own fields are read-only; these drive the services."""

    assign_to = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email"),
        required=False, help_text="Give the case to a member of staff; an open case becomes 'investigating'.",
    )  # fmt: skip
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attachment = forms.FileField(required=False, help_text="Evidence; stored privately, never at a public URL.")
    attachment_description = forms.CharField(max_length=255, required=False)
    resolve_as = forms.ChoiceField(choices=[("", "(not now)"), *AmlCase.Resolution.choices], required=False)
    resolution_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                      label="Reason for the resolution")  # fmt: skip

    class Meta:
        model = AmlCase
        fields: list[str] = []

    def clean(self):
        data = super().clean()
        if data.get("resolve_as") and not (data.get("resolution_note") or "").strip():
            self.add_error("resolution_note", "Resolving a case needs a reason.")
        if self.instance.status == AmlCase.Status.RESOLVED and any(
            data.get(name) for name in ("assign_to", "resolve_as")
        ):
            raise forms.ValidationError("The case is resolved; it can no longer be assigned or resolved.")
        return data


class AlertInline(admin.TabularInline):
    model = AmlAlert
    fields = ["created_at", "decision", "risk_score", "subject", "gift", "reasons"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="rules that fired")
    def reasons(self, alert: AmlAlert):
        return _hits_html(alert.rules)


@admin.register(AmlCase)
class AmlCaseAdmin(admin.ModelAdmin):
    form = CaseWorkForm
    list_display = ["id", "subject", "status", "assignee", "alert_count", "opened_at", "updated_at"]
    list_filter = ["status", "resolution", ("assignee", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject__email", "subject__creator_profile__handle", "=public_id"]
    list_select_related = ["subject", "assignee"]
    ordering = ["status", "-updated_at"]
    actions = ["assign_to_me"]
    inlines = [AlertInline]
    readonly_fields = ["subject", "status", "assignee", "opened_at", "updated_at", "resolution", "resolution_reason",
                       "resolved_at", "resolved_by", "accounts", "recent_flows", "comments", "attachments",
                       "history"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["subject", "status", "assignee", "opened_at", "updated_at"]}),
        ("Accounts and flows around the case", {"fields": ["accounts", "recent_flows"]}),
        ("Notes and evidence", {"fields": ["comments", "attachments"]}),
        ("Work on the case", {"fields": ["assign_to", "comment", "attachment", "attachment_description",
                                         "resolve_as", "resolution_note"]}),
        ("Resolution", {"fields": ["resolution", "resolution_reason", "resolved_at", "resolved_by"]}),
        ("Audit trail", {"fields": ["history"], "classes": ["collapse"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(alerts_n=Count("alerts"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="alerts", ordering="alerts_n")
    def alert_count(self, case: AmlCase) -> int:
        return case.alerts_n

    @admin.display(description="accounts")
    def accounts(self, case: AmlCase):
        rows = selectors.case_accounts(case=case)
        return format_html(
            "<table><tr><th>account</th><th>creator</th><th>sent (7 days)</th><th>received (7 days)</th></tr>{}"
            "</table>",
            format_html_join("", "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
                (r["user"].email, " (subject)" if r["is_subject"] else "", f"@{r['handle']}" if r["handle"] else "",
                 dollars(r["sent_cents"]), dollars(r["received_cents"])) for r in rows)),
        )  # fmt: skip

    @admin.display(description="recent gifts in and out")
    def recent_flows(self, case: AmlCase):
        gifts = selectors.case_flows(case=case)
        return format_html(
            "<table><tr><th>when</th><th>from</th><th>to</th><th>amount</th><th>decision</th><th>rules</th></tr>{}"
            "</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>@{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
                (f"{g.created_at:%Y-%m-%d %H:%M}", g.sender.email, g.receiver.handle, dollars(g.amount_cents),
                 g.decision, ", ".join(h["rule"] for h in g.rule_hits)) for g in gifts)),
        )  # fmt: skip

    @admin.display(description="comments")
    def comments(self, case: AmlCase):
        items = case.comments.select_related("author")
        return format_html_join("", "<p><b>{}</b> {:%Y-%m-%d %H:%M}<br>{}</p>",
                                ((c.author.email, c.created_at, c.body) for c in items)) or "-"  # fmt: skip

    @admin.display(description="attachments")
    def attachments(self, case: AmlCase):
        items = case.attachments.select_related("uploaded_by")
        return format_html_join("", '<p><a href="{}">{}</a> ({} bytes, sha256 {}...) by {} {}</p>', (
            (reverse("admin:compliance_amlcase_attachment", args=[case.pk, a.pk]), a.original_name, a.size_bytes,
             a.sha256[:12], a.uploaded_by.email, a.description) for a in items)) or "-"  # fmt: skip

    @admin.display(description="audit trail")
    def history(self, case: AmlCase):
        events = AuditEvent.objects.filter(subject=f"compliance.amlcase:{case.pk}").select_related("actor")[:100]
        return format_html_join("", "<p>{:%Y-%m-%d %H:%M} {} by {}: {} {}</p>", (
            (e.occurred_at, e.action, e.actor.email if e.actor else "system", e.after, e.reason)
            for e in events)) or "-"  # fmt: skip

    def save_model(self, request: HttpRequest, obj: AmlCase, form, change: bool) -> None:
        """Never saves the case directly: each filled-in field calls its service (and is audited)."""
        data, user = form.cleaned_data, request.user
        try:
            if data.get("comment", "").strip():
                self._require(request, "compliance.add_casecomment")
                case_comment_add(case=obj, author=user, body=data["comment"])
            if data.get("attachment"):
                self._require(request, "compliance.add_caseattachment")
                case_attachment_add(case=obj, uploaded_by=user, upload=data["attachment"],
                                    description=data.get("attachment_description", ""))  # fmt: skip
            if data.get("assign_to"):
                case_assign(case=obj, assignee=data["assign_to"], actor=user)
            if data.get("resolve_as"):
                case_resolve(case=obj, resolution=data["resolve_as"], reason=data["resolution_note"], actor=user)
        except CaseStateError as exc:
            messages.error(request, str(exc))

    def _require(self, request: HttpRequest, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    @admin.action(description="Assign the selected cases to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset) -> None:
        done = 0
        for case in queryset.exclude(status=AmlCase.Status.RESOLVED):
            try:
                case_assign(case=case, assignee=request.user, actor=request.user)
                done += 1
            except CaseStateError as exc:
                messages.warning(request, f"Case {case.pk}: {exc}")
        messages.success(request, f"{done} case(s) assigned to you.")

    def get_urls(self):
        extra = [path("<int:case_id>/attachment/<int:attachment_id>/",
                      self.admin_site.admin_view(self.attachment_download), name="compliance_amlcase_attachment")]
        return extra + super().get_urls()  # fmt: skip

    def attachment_download(self, request: HttpRequest, case_id: int, attachment_id: int) -> FileResponse:
        """Evidence is served only here, to staff who may view the case, and each download is audited."""
        if not request.user.has_perm("compliance.view_caseattachment"):
            raise PermissionDenied
        attachment = get_object_or_404(CaseAttachment, pk=attachment_id, case_id=case_id)
        audit(actor=request.user, action="aml.case.attachment_downloaded", instance=attachment.case,
              after={"attachment": attachment.pk, "name": attachment.original_name})  # fmt: skip
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type="application/octet-stream")  # fmt: skip
