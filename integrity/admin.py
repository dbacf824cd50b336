from django.contrib import admin

from valuetok.admin_tools import EstimatedCountPaginator

from .models import CreatorTrust, EngagementWindow, InvalidEngagement, VideoIntegrity, ViewerEvent, ViewerTrust


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


class FraudSignalFilter(admin.SimpleListFilter):
    """Windows in which a given invalid-traffic signal fired: lockstep groups, shared-device clusters and so on."""

    title = "invalid-traffic signal"
    parameter_name = "signal"

    def lookups(self, request, model_admin):
        return InvalidEngagement.Reason.choices

    def queryset(self, request, queryset):
        if self.value() in InvalidEngagement.Reason.values:
            return queryset.filter(features__has_key=f"invalid_{self.value()}")
        return queryset


class EisBelowFilter(admin.SimpleListFilter):
    title = "EIS"
    parameter_name = "eis_below"

    def lookups(self, request, model_admin):
        return [("50", "below 50 (low)"), ("80", "below 80"), ("none", "not enough data")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(engagement_integrity_score__isnull=True)
        if self.value() in {"50", "80"}:
            return queryset.filter(engagement_integrity_score__lt=float(self.value()))
        return queryset


@admin.register(EngagementWindow)
class EngagementWindowAdmin(admin.ModelAdmin):
    list_display = ["video", "granularity", "window_start", "engagement_integrity_score", "band", "events_total",
                    "events_invalid", "scoring_version"]  # fmt: skip
    list_filter = [EisBelowFilter, FraudSignalFilter, "band", "granularity", "scoring_version",
                   ("window_start", admin.DateFieldListFilter)]  # fmt: skip
    search_fields = ["=video__public_id", "video__creator__handle", "video__title"]
    list_select_related = ["video", "video__creator"]
    raw_id_fields = ["video"]
    ordering = ["engagement_integrity_score"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in EngagementWindow._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(InvalidEngagement)
class InvalidEngagementAdmin(admin.ModelAdmin):
    list_display = ["event", "reason", "window_start", "scoring_version"]
    list_filter = ["reason", "scoring_version", ("window_start", admin.DateFieldListFilter)]
    search_fields = ["=event__event_uuid", "=event__device_id", "event__user__email"]
    list_select_related = ["event"]
    raw_id_fields = ["event"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ViewerTrust)
class ViewerTrustAdmin(admin.ModelAdmin):
    list_display = ["user", "score", "scoring_version", "computed_at"]
    list_filter = ["scoring_version"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    ordering = ["score"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(VideoIntegrity)
class VideoIntegrityAdmin(admin.ModelAdmin):
    list_display = ["video", "engagement_integrity_score", "band", "windows", "updated_at"]
    list_filter = ["band", "scoring_version"]
    search_fields = ["=video__public_id", "video__title", "video__creator__handle"]
    list_select_related = ["video", "video__creator"]
    raw_id_fields = ["video"]
    ordering = ["engagement_integrity_score"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CreatorTrust)
class CreatorTrustAdmin(admin.ModelAdmin):
    list_display = ["creator", "score", "windows", "updated_at"]
    search_fields = ["creator__handle"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]
    ordering = ["score"]

    def has_add_permission(self, request) -> bool:
        return False
