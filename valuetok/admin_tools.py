"""Admin helpers: the reason page of decision actions, and a paginator for tables too large to count."""

from django.contrib.admin import ModelAdmin, helpers
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property

DECISION_TEMPLATE = "admin/decision_form.html"


def decision_page(
    *,
    model_admin: ModelAdmin,
    request: HttpRequest,
    objects: list,
    label: str,
    form,
    action: str | None,
    title: str | None = None,
    template: str = DECISION_TEMPLATE,
) -> TemplateResponse:
    """The page on which staff give the reason for a decision on ``objects`` before it is applied.

    ``action`` is the admin action to post back to (None when the page is the object's own view).
    """
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title or f"{label}: give a reason",
        "opts": opts,
        "objects": objects,
        "decision_label": label,
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, template, context)


class EstimatedCountPaginator(Paginator):
    """Unfiltered changelists of huge tables use PostgreSQL's planner estimate instead of COUNT(*)."""

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        if connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [self.object_list.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > 100_000:
                return int(row[0])
        return super().count


class ReadOnlyAdmin(ModelAdmin):
    """Records staff read but never write by hand: services and commands make them, audited."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
