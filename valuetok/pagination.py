"""How API lists are paged, ordered and filtered.

- ``?page=N`` and ``?page_size=M`` (at most ``API_MAX_PAGE_SIZE``, 200 by default; a larger value is
  cut to it);
- ``?ordering=field`` or ``-field`` (several, comma-separated), from the view's ``ordering_fields``,
  which the schema lists;
- date-time filters (``created_after`` ...) that take any ISO 8601 value with a zone and compare it
  in UTC (a far-off offset or year is a 400, never a database error).
"""

from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django_filters import rest_framework as django_filters
from django_filters.fields import IsoDateTimeField
from rest_framework import filters, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page (default 50, at most API_MAX_PAGE_SIZE, 200 by default)."
    page_query_description = "A page number within the results, from 1 (404 past the last page)."

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE


class OrderingFilter(filters.OrderingFilter):
    ordering_description = "Sort by these fields, comma-separated; '-' in front for descending."

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            # Ties broken by id, in the first field's direction: pages never repeat or skip a row.
            ordering = [*ordering, "-pk" if ordering[0].startswith("-") else "pk"]
        return ordering

    def get_schema_operation_parameters(self, view) -> list[dict]:
        fields = getattr(view, "ordering_fields", None)
        if not fields or fields == "__all__":
            return super().get_schema_operation_parameters(view)
        choices = [f"{sign}{field}" for field in fields for sign in ("", "-")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": self.ordering_description,
                "style": "form",
                "explode": False,
                "schema": {"type": "array", "items": {"type": "string", "enum": choices}},
            }
        ]


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            # The database compares in UTC; an offset it cannot store (e.g. +23:29) never reaches it.
            return moment.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("Enter a date-time between the years 1 and 9999.", code="invalid") from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
