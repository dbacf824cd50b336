"""Admin for withdrawals: Finance pays, rejects (with a reason) or clears a screening hit.

Nothing here edits a withdrawal directly: each action calls a service in ``payouts.withdrawals``,
which checks the status with a compare-and-set under a row lock, moves the money through the
ledger and writes the audit event. Two staff approving at once pay once.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from payouts.models import Withdrawal
from payouts.withdrawals import (
    FINANCE_PERMISSION,
    WithdrawalError,
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_screening_clear,
)
from valuetok.admin_tools import decision_page

DECISION_TEMPLATE = "payouts/withdrawal_decision.html"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), min_length=5,
        help_text="Why: what you checked and what you found. Stored in the audit trail (and shown to the creator "
                  "when rejecting).",
    )  # fmt: skip


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    list_display = ["short_id", "creator", "amount", "payee_name", "status", "screening_hit", "created_at",
                    "decided_at", "decided_by"]  # fmt: skip
    list_filter = ["status", "created_at"]
    search_fields = ["=public_id", "creator__email", "payee_name"]
    list_select_related = ["creator", "decided_by"]
    date_hierarchy = "created_at"
    actions = ["approve_selected", "reject_selected", "clear_screening_selected"]
    fields = ["public_id", "creator", "amount_cents", "currency", "payee_name", "status", "screening_table",
              "screened_at", "request_entry", "settle_entry", "decided_by", "decided_at", "rejection_reason",
              "idempotency_key", "created_at", "updated_at"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # decisions go through the actions and the services, never through the form

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(FINANCE_PERMISSION)

    @admin.display(description="id")
    def short_id(self, withdrawal: Withdrawal) -> str:
        return withdrawal.public_id.hex[:8]

    @admin.display(description="amount (USD)", ordering="amount_cents")
    def amount(self, withdrawal: Withdrawal) -> str:
        whole, part = divmod(withdrawal.amount_cents, 100)
        return f"{whole:,}.{part:02d}"

    @admin.display(description="screening hit", boolean=True)
    def screening_hit(self, withdrawal: Withdrawal) -> bool:
        return any(m.get("over_line") or m.get("error") for m in withdrawal.screening_matches)

    @admin.display(description="screening matches")
    def screening_table(self, withdrawal: Withdrawal) -> str:
        if not withdrawal.screening_matches:
            return "No match reported."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((m.get("list_kind", ""), m.get("ent_num", ""), m.get("entry_name", m.get("error", "")),
              m.get("matched_name", ""), f"{float(m.get('score', 0)):.2f}",
              "over the line" if m.get("over_line") else "below") for m in withdrawal.screening_matches),
        )  # fmt: skip
        return format_html(
            "<table><thead><tr><th>list</th><th>entry</th><th>listed name</th><th>matched name</th><th>score</th>"
            "<th></th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    # --- Decisions -------------------------------------------------------------------------------------
    def _run(self, request: HttpRequest, withdrawals, label: str, call) -> None:
        done = 0
        for withdrawal in withdrawals:
            try:
                call(withdrawal)
                done += 1
            except WithdrawalError as exc:
                self.message_user(request, f"{withdrawal}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{label}: {done} withdrawal(s).", messages.SUCCESS)

    def _with_reason(self, request: HttpRequest, queryset: QuerySet, label: str, call):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run(request, list(queryset), label, lambda w: call(w, reason))
            return None
        return decision_page(
            model_admin=self, request=request, objects=list(queryset), label=label, form=form,
            action=request.POST.get("action"), template=DECISION_TEMPLATE,
        )  # fmt: skip

    @admin.action(description="Approve and pay selected pending withdrawals", permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet):
        self._run(request, list(queryset), "Paid", lambda w: withdrawal_approve(withdrawal=w, actor=request.user))

    @admin.action(description="Reject selected withdrawals (asks for a reason)", permissions=["decide"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request, queryset, "Rejected",
            lambda w, reason: withdrawal_reject(withdrawal=w, actor=request.user, reason=reason),
        )  # fmt: skip

    @admin.action(description="Clear the screening hit of selected withdrawals (asks for a reason)",
                  permissions=["decide"])  # fmt: skip
    def clear_screening_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request, queryset, "Screening cleared",
            lambda w, reason: withdrawal_screening_clear(withdrawal=w, actor=request.user, reason=reason),
        )  # fmt: skip
