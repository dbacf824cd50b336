from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import CreatorProfile, Follow, Hashtag, User, Video


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "country",
        "phone_number",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "country"]
    search_fields = ["email", "first_name", "last_name", "phone_number"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "phone_number", "country")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = ["handle", "display_name", "user", "country", "follower_count", "created_at"]
    list_filter = ["country"]
    search_fields = ["handle", "display_name", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["follower_count"]


class VideoHashtagInline(admin.TabularInline):
    model = Video.hashtags.through
    extra = 0
    raw_id_fields = ["hashtag"]


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["title", "creator", "status", "duration_ms", "width", "height", "codec", "created_at"]
    list_filter = ["status", "codec"]
    search_fields = ["title", "creator__handle", "=public_id"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]
    readonly_fields = ["public_id"]
    date_hierarchy = "created_at"
    exclude = ["hashtags"]
    inlines = [VideoHashtagInline]


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "creator", "created_at"]
    search_fields = ["follower__email", "creator__handle"]
    list_select_related = ["follower", "creator"]
    raw_id_fields = ["follower", "creator"]
    show_full_result_count = False
