from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from valuetok.admin_tools import decision_page

from .accounts.tokens import ApiTokenError, api_token_create, api_token_revoke, api_token_validate
from .milestones import milestone_award_pay
from .models import ApiToken, CreatorProfile, Follow, Hashtag, MilestoneAward, Trend, TrendAdoption, User, Video
from .trends import REASON_MIN_LENGTH, TrendError, trend_approve, trend_reject


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


# --- Trends and follower milestones -------------------------------------------------------------
# Decisions never go through the change form: approve/reject ask for a reason on an intermediate
# page and call creators.trends (compare-and-set on the status, audited).

TREND_DECISION_TEMPLATE = "admin/creators/trend/decision.html"


class TrendDecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        min_length=REASON_MIN_LENGTH,
        help_text="Why: shown to the creator and stored in the audit trail.",
    )


class TrendAdoptionInline(admin.TabularInline):
    model = TrendAdoption
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["adopted_at", "creator", "video"]
    readonly_fields = fields
    ordering = ["-adopted_at"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Trend)
class TrendAdmin(admin.ModelAdmin):
    """The queue of trend ideas: submitted first, oldest first; decisions through the actions."""

    list_display = [
        "name",
        "hashtag",
        "originator",
        "status",
        "submitted_at",
        "reviewed_by",
        "adoption_count",
        "bonus_paid_at",
        "boost_until",
    ]
    list_filter = ["status"]
    search_fields = ["name", "hashtag__name", "originator__handle", "=public_id"]
    list_select_related = ["hashtag", "originator", "reviewed_by"]
    date_hierarchy = "submitted_at"
    ordering = [
        Case(When(status="submitted", then=Value(0)), default=Value(1), output_field=IntegerField()).asc(),
        "submitted_at",
    ]
    actions = ["approve_selected", "reject_selected"]
    inlines = [TrendAdoptionInline]
    fields = [
        "public_id", "name", "hashtag", "originator", "description", "status", "submitted_at", "reviewed_by",
        "reviewed_at", "review_reason", "adoption_count", "threshold_reached_at", "bonus_cents", "bonus_entry_id",
        "bonus_paid_at", "boost_until",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # decisions go through the actions and creators.trends, never through the form

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("creators.review_trend")

    def _decide(self, request: HttpRequest, queryset: QuerySet, approve: bool):
        label = "Approve" if approve else "Reject"
        form = TrendDecisionForm(request.POST if "apply" in request.POST else None)
        trends = list(queryset.select_related("hashtag", "originator"))
        if "apply" in request.POST and form.is_valid():
            done = 0
            decide = trend_approve if approve else trend_reject
            for trend in trends:
                try:
                    decide(trend=trend, reviewer=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except TrendError as exc:
                    self.message_user(request, f"{trend}: {exc}", messages.ERROR)
            if done:
                verb = "approved" if approve else "rejected"
                self.message_user(request, f"{verb}: {done} trend(s).", messages.SUCCESS)
            return None
        return decision_page(
            model_admin=self, request=request, objects=trends, label=label, form=form,
            action=request.POST.get("action"), title=f"{label} trend ideas: give a reason",
            template=TREND_DECISION_TEMPLATE,
        )  # fmt: skip

    @admin.action(description="Approve selected trend ideas (asks for a reason)", permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide(request, queryset, approve=True)

    @admin.action(description="Reject selected trend ideas (asks for a reason)", permissions=["review"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide(request, queryset, approve=False)


@admin.register(MilestoneAward)
class MilestoneAwardAdmin(admin.ModelAdmin):
    """Read-only record of follower milestones; Finance may retry waiting payments."""

    list_display = ["creator", "threshold", "follower_count", "reached_at", "bonus_cents", "paid_at", "last_error"]
    list_filter = ["threshold", ("paid_at", admin.EmptyFieldListFilter)]
    search_fields = ["creator__handle", "creator__user__email"]
    list_select_related = ["creator"]
    date_hierarchy = "reached_at"
    actions = ["pay_selected"]
    readonly_fields = [
        "creator", "threshold", "follower_count", "reached_at", "bonus_cents", "bonus_entry_id", "paid_at",
        "last_attempt_at", "last_error",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_pay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("creators.change_milestoneaward")

    @admin.action(description="Retry the bonus payment of selected waiting awards", permissions=["pay"])
    def pay_selected(self, request: HttpRequest, queryset: QuerySet):
        paid = waiting = 0
        for award_id in queryset.filter(paid_at__isnull=True).values_list("pk", flat=True):
            award = milestone_award_pay(award_id=award_id)
            paid, waiting = (paid + 1, waiting) if award.paid_at else (paid, waiting + 1)
        level = messages.SUCCESS if not waiting else messages.WARNING
        self.message_user(request, f"paid: {paid}; still waiting for the bonus pool: {waiting}.", level)


# --- API tokens ---------------------------------------------------------------------------------
# Staff issue tokens to partners and creators and revoke leaked ones. The key is shown once, in the
# message after "Save"; only its hash is stored. Tokens are never edited or deleted, only revoked.


class ApiTokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        from django.db.models import Q
        from django.utils import timezone

        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "expires_at"]

    def clean(self):
        data = super().clean()
        if data.get("user") and data.get("name"):
            try:
                data["name"] = api_token_validate(
                    user=data["user"], name=data["name"], expires_at=data.get("expires_at")
                )
            except ApiTokenError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "token_status", "created_at", "created_by", "last_used_at", "expires_at"]
    list_filter = [ApiTokenStatusFilter]
    search_fields = ["name", "=prefix", "user__email"]
    list_select_related = ["user", "created_by"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    actions = ["revoke_selected"]
    add_fields = ["user", "name", "expires_at"]
    change_fields = [
        "public_id", "user", "name", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at",
        "revoked_by",
    ]  # fmt: skip

    @admin.display(description="status")
    def token_status(self, obj: ApiToken) -> str:
        return obj.status

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        return self.add_fields if obj is None else self.change_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if obj is None else self.change_fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead: the record of who held which key stays

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            return  # nothing on the change form is editable
        token, key = api_token_create(user=obj.user, name=obj.name, created_by=request.user, expires_at=obj.expires_at)
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        self.message_user(
            request,
            f"The key of “{token.name}” for {token.user} is {key} (copy it now: it is never shown again).",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, by=request.user)
            revoked += 1
        self.message_user(request, f"revoked: {revoked} token(s).", messages.SUCCESS)
