"""Admin for screening lists: read-only views of what was loaded (lists change only through load_sanctions)."""

from django.contrib import admin
from django.db.models import Count

from compliance.models import SanctionsEntry, SanctionsList, SanctionsName
from valuetok.admin_tools import ReadOnlyAdmin

# Lists are loaded by ``manage.py load_sanctions`` in one audited transaction, never edited by hand.


@admin.register(SanctionsList)
class SanctionsListAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "active", "entries", "stored_entries", "loaded_at", "source", "short_hash"]
    list_filter = ["kind", "active"]
    ordering = ["-loaded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stored_entries_count=Count("parties"))

    @admin.display(description="entries stored", ordering="stored_entries_count")
    def stored_entries(self, obj: SanctionsList) -> int:
        return obj.stored_entries_count

    @admin.display(description="content hash")
    def short_hash(self, obj: SanctionsList) -> str:
        return obj.content_hash[:12]


class SanctionsNameInline(admin.TabularInline):
    model = SanctionsName
    fields = ["kind", "name", "normalized", "blocking_keys"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SanctionsEntry)
class SanctionsEntryAdmin(ReadOnlyAdmin):
    list_display = ["ent_num", "name", "party_type", "programs", "listing"]
    list_filter = ["listing__kind", "listing__active", "party_type", "listing"]
    search_fields = ["=ent_num", "name", "names__name", "names__normalized"]
    list_select_related = ["listing"]
    inlines = [SanctionsNameInline]
    show_full_result_count = False
