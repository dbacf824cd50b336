"""Admin for revenue split runs: the list, each run's breakdown, and compute / commit for Finance.

Nothing is edited by hand: computing and committing go through ``payouts.split`` (compare-and-set
under a row lock, one transaction per commit), each after a confirmation page, and each decision
is written to the compliance audit trail. The per-creator breakdown of a run is the allocation
list filtered to the run (every line, searchable); the run page shows the largest lines.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from compliance.audit import audit
from payouts.models import Clawback, PayoutAllocation, PayoutRun, PayoutVideoLine, ReserveRelease
from payouts.split import PayoutRunError, payout_run_commit, payout_run_compute
from valuetok.admin_tools import ReadOnlyAdmin

COMMIT_PERMISSION = "payouts.commit_payoutrun"
CONFIRM_TEMPLATE = "payouts/payout_run_confirm.html"
PREVIEW_LINES = 50


def _money(cents: int | None) -> str:
    if cents is None:
        return "-"
    whole, part = divmod(int(cents), 100)
    return f"{whole:,}.{part:02d}"


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = ["short_id", "granularity", "period_start", "status", "pool", "allocated", "fees", "reserve",
                    "carried_forward", "creators_paid", "creators_excluded", "computed_at", "committed_at"]  # fmt: skip
    list_filter = ["status", "granularity"]
    search_fields = ["=public_id"]
    date_hierarchy = "period_start"
    actions = ["compute_selected", "commit_selected"]
    fields = ["public_id", "granularity", "period_start", "period_end", "status", "pool_cents", "allocated_cents",
              "fees_cents", "margin_adjustment_cents", "reserve_cents", "net_available_cents", "net_held_cents",
              "carried_forward_cents", "creators_paid", "creators_excluded", "value_units_total", "scoring_version",
              "config", "error", "created_by", "created_at", "computed_at", "committed_at", "breakdown"]  # fmt: skip
    readonly_fields = fields

    def has_commit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(COMMIT_PERMISSION)

    @admin.display(description="id")
    def short_id(self, run: PayoutRun) -> str:
        return run.public_id.hex[:8]

    @admin.display(description="pool", ordering="pool_cents")
    def pool(self, run: PayoutRun) -> str:
        return _money(run.pool_cents)

    @admin.display(description="allocated", ordering="allocated_cents")
    def allocated(self, run: PayoutRun) -> str:
        return _money(run.allocated_cents)

    @admin.display(description="fees (incl. margin)")
    def fees(self, run: PayoutRun) -> str:
        return _money(run.fees_cents + run.margin_adjustment_cents)

    @admin.display(description="reserve", ordering="reserve_cents")
    def reserve(self, run: PayoutRun) -> str:
        return _money(run.reserve_cents)

    @admin.display(description="carried forward", ordering="carried_forward_cents")
    def carried_forward(self, run: PayoutRun) -> str:
        return _money(run.carried_forward_cents)

    @admin.display(description="each creator's breakdown")
    def breakdown(self, run: PayoutRun) -> str:
        lines = PayoutAllocation.objects.filter(run=run).select_related("creator").order_by("-gross_cents",
                                                                                            "creator_id")  # fmt: skip
        rows = format_html_join(
            "",
            "<tr><td>@{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((a.creator.handle, a.videos, f"{a.value_units:,.1f}", f"{a.share:.2%}",
              a.get_excluded_reason_display() or "eligible",
              a.kyc_level, _money(a.cap_cents) if a.cap_cents is not None else "none", _money(a.gross_cents),
              f"{_money(a.fee_cents)} (tier {a.fee_tier})", _money(a.margin_adjustment_cents), _money(a.reserve_cents),
              _money(a.net_cents), a.get_destination_display()) for a in lines[:PREVIEW_LINES]),
        )  # fmt: skip
        everything = reverse("admin:payouts_payoutallocation_changelist") + f"?run__id__exact={run.pk}"
        return format_html(
            "<p>The {} largest of {} lines; <a href='{}'>every line</a>.</p><table><thead><tr><th>creator</th>"
            "<th>videos</th><th>value units</th><th>share</th><th>eligibility</th><th>KYC</th><th>cap</th>"
            "<th>gross</th><th>fee</th><th>margin adj.</th><th>reserve</th><th>net</th><th>to</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            min(PREVIEW_LINES, lines.count()), lines.count(), everything, rows,
        )  # fmt: skip

    # --- Decisions -------------------------------------------------------------------------------------
    def _confirmed(self, request: HttpRequest, queryset: QuerySet, label: str, warning: str, call):
        if "confirm" not in request.POST:
            context = {
                **self.admin_site.each_context(request), "title": f"{label}: confirm", "opts": self.model._meta,
                "runs": list(queryset), "decision_label": label, "warning": warning,
                "action": request.POST.get("action"), "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }  # fmt: skip
            return TemplateResponse(request, CONFIRM_TEMPLATE, context)
        done = 0
        for run in queryset:
            before = {"status": run.status}
            try:
                after = call(run)
            except PayoutRunError as exc:
                self.message_user(request, f"{run}: {exc}", messages.ERROR)
                continue
            audit(actor=request.user, action=f"payout_run.{label.lower()}", instance=run, before=before,
                  after={"status": after.status, "allocated_cents": after.allocated_cents,
                         "fees_cents": after.fees_cents + after.margin_adjustment_cents,
                         "reserve_cents": after.reserve_cents})  # fmt: skip
            done += 1
        if done:
            self.message_user(request, f"{label}: {done} run(s).", messages.SUCCESS)
        return None

    @admin.action(description="Compute selected runs (preview; moves no money)", permissions=["commit"])
    def compute_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._confirmed(request, queryset, "Compute", "Their previews will be replaced.",
                               lambda run: payout_run_compute(run_id=run.id))  # fmt: skip

    @admin.action(description="Commit selected computed runs (posts the journal entries)", permissions=["commit"])
    def commit_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._confirmed(request, queryset, "Commit", "Money will move to creators; this cannot be undone.",
                               lambda run: payout_run_commit(run_id=run.id, actor=request.user))  # fmt: skip


@admin.register(PayoutAllocation)
class PayoutAllocationAdmin(ReadOnlyAdmin):
    list_display = ["creator", "run", "value_units", "share", "eligible", "excluded_reason", "kyc_level", "cap_cents",
                    "gross_cents", "fee_cents", "fee_tier", "margin_adjustment_cents", "reserve_cents", "net_cents",
                    "destination"]  # fmt: skip
    list_filter = ["eligible", "excluded_reason", "destination", "kyc_level", "run__status"]
    search_fields = ["creator__handle", "=run__public_id"]
    list_select_related = ["creator", "run"]
    raw_id_fields = ["run", "creator", "entry"]


@admin.register(PayoutVideoLine)
class PayoutVideoLineAdmin(ReadOnlyAdmin):
    list_display = ["video", "creator", "run", "engagement_units", "capped_units", "engagement_integrity_score",
                    "velocity_multiplier", "trust_multiplier", "value_units"]  # fmt: skip
    search_fields = ["creator__handle", "=video__public_id"]
    list_select_related = ["video", "creator", "run"]
    raw_id_fields = ["run", "video", "creator"]


@admin.register(ReserveRelease)
class ReserveReleaseAdmin(ReadOnlyAdmin):
    list_display = ["allocation", "creator", "amount_cents", "destination", "released_at"]
    raw_id_fields = ["allocation", "creator", "entry"]


@admin.register(Clawback)
class ClawbackAdmin(ReadOnlyAdmin):
    list_display = ["creator", "run", "gross_cents", "fee_refund_cents", "from_reserve_cents", "from_held_cents",
                    "from_available_cents", "unrecovered_cents", "created_at"]  # fmt: skip
    search_fields = ["creator__handle"]
    raw_id_fields = ["allocation", "run", "creator", "entry"]
