from django.contrib import admin

from valuetok.admin_tools import EstimatedCountPaginator

from .models import ViewerEvent


@admin.register(ViewerEvent)
class ViewerEventAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "event_type",
        "video",
        "user",
        "device_id",
        "country",
        "is_hosting_network",
        "watch_time_ms",
    ]
    list_filter = ["event_type", "is_hosting_network", ("occurred_at", admin.DateFieldListFilter), "country"]
    search_fields = ["=event_uuid", "=device_id", "=session_id", "=ip_prefix_hash", "user__email"]
    list_select_related = ["video", "user"]
    raw_id_fields = ["video", "user"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    readonly_fields = [f.name for f in ViewerEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # events arrive through ingest only

    def has_change_permission(self, request, obj=None) -> bool:
        return False
