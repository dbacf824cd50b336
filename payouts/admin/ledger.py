"""Admin for the ledger: accounts, entries with their legs, and gift bookings. All read-only:
money moves only through ``payouts.ledger`` (a correction is a reversing entry, never an edit)."""

from django.contrib import admin
from django.db.models import Sum
from django.http import HttpRequest

from payouts.models import GiftBooking, JournalEntry, JournalLeg, LedgerAccount
from valuetok.admin_tools import ReadOnlyAdmin


def usd(cents: int | None) -> str:
    cents = int(cents or 0)
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole:,}.{part:02d}"


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "owner", "balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["owner__email", "=owner__public_id"]
    list_select_related = ["owner"]
    readonly_fields = ["kind", "owner", "created_at", "balance"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(balance_cents=Sum("legs__amount_cents"))

    @admin.display(description="balance (USD)", ordering="balance_cents")
    def balance(self, account: LedgerAccount) -> str:
        return usd(getattr(account, "balance_cents", None))


class JournalLegInline(admin.TabularInline):
    model = JournalLeg
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["account", "amount_cents"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "idempotency_key", "memo", "reverses", "created_by"]
    list_filter = ["kind"]
    search_fields = ["=public_id", "idempotency_key", "memo"]
    list_select_related = ["created_by", "reverses"]
    date_hierarchy = "created_at"
    readonly_fields = ["public_id", "kind", "idempotency_key", "memo", "reference", "reverses", "created_at",
                       "created_by"]  # fmt: skip
    inlines = [JournalLegInline]


@admin.register(GiftBooking)
class GiftBookingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "gift", "sender", "receiver_user", "amount_cents", "status", "booked_at",
                    "released_at", "refused_reason"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["=gift__public_id", "sender__email", "receiver_user__email"]
    list_select_related = ["gift", "sender", "receiver_user"]
    readonly_fields = ["gift", "sender", "receiver_user", "amount_cents", "status", "entry", "booked_at",
                       "refused_reason", "release_entry", "released_at", "created_at", "updated_at"]  # fmt: skip
