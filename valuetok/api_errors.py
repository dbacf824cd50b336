"""One error body for the whole API: ``{"code": ..., "detail": ..., "errors"?: {...}}``.

- ``code``: a stable machine-readable word (``validation_error``, ``not_authenticated``,
  ``permission_denied``, ``not_found``, ``method_not_allowed``, ``throttled``, ``conflict``, or a
  domain code such as ``idempotency_key_reused``);
- ``detail``: one human sentence;
- ``errors``: only for validation failures, field name -> list of messages. Nested serializer
  errors are flattened to dotted names (``address.city``, ``documents[0].number``); errors that
  belong to no field are under ``non_field_errors``.

DRF calls :func:`api_exception_handler` (settings ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) for every
exception a view raises; views with their own refusals raise :class:`ApiError`, so no view writes
an error body by hand. Outside DRF, the handlers at the
bottom answer 400/403/404/500 for paths under ``/api/`` in the same shape (``valuetok/urls.py``
installs them) and with Django's usual pages elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

API_PREFIX = "/api/"
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY  # "non_field_errors"

class ErrorResponseSerializer(serializers.Serializer):
    """The body of every error the API answers (4xx and 5xx)."""

    code = serializers.CharField(
        help_text="Machine-readable: validation_error, not_authenticated, authentication_failed, permission_denied, "
        "not_found, method_not_allowed, throttled, conflict, server_error, or a domain code."
    )
    detail = serializers.CharField(help_text="One human sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation failures only: field name (nested fields dotted, list items as [i]) -> messages; "
        "errors of no single field under non_field_errors.",
    )


class ApiError(exceptions.APIException):
    """A refusal a view raises with its own status and code; ``extra`` adds documented keys to the body."""

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        errors: Mapping | None = None,
        extra: Mapping | None = None,
    ) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.error_code = code
        self.errors = flatten_errors(errors) if errors is not None else None
        self.extra = dict(extra or {})


def error_body(*, code: str, detail: str, errors: Mapping | None = None, extra: Mapping | None = None) -> dict:
    body: dict = {"code": code, "detail": str(detail)}
    if errors is not None:
        body["errors"] = flatten_errors(errors)
    if extra:
        body.update(extra)
    return body


# --- Flattening validation errors --------------------------------------------------------------------


def _join(prefix: str, key: object) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and prefix):
        return f"{prefix}[{key}]"
    if not prefix or key == NON_FIELD:
        return prefix or str(key)
    return f"{prefix}.{key}"


def flatten_errors(detail: object, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ``ValidationError.detail`` (dicts, lists, strings) as ``{dotted.name: [messages]}``."""
    flat: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        flat.setdefault(name or NON_FIELD, []).append(str(message))

    if isinstance(detail, Mapping):
        for key, value in detail.items():
            for name, messages in flatten_errors(value, _join(prefix, key)).items():
                flat.setdefault(name, []).extend(messages)
    elif isinstance(detail, (list, tuple)):
        if all(not isinstance(item, (Mapping, list, tuple)) for item in detail):
            for item in detail:
                add(prefix, item)
        else:
            # A list serializer's errors: one entry per item, empty for the items that were valid.
            for index, item in enumerate(detail):
                if not item:
                    continue
                if isinstance(item, (Mapping, list, tuple)):
                    for name, messages in flatten_errors(item, _join(prefix, index)).items():
                        flat.setdefault(name, []).extend(messages)
                else:
                    add(prefix, item)
    elif detail is not None:
        add(prefix, detail)
    return flat


def _validation_sentence(errors: dict[str, list[str]]) -> str:
    if len(errors) == 1:
        ((name, messages),) = errors.items()
        if len(messages) == 1:
            return messages[0] if name == NON_FIELD else f"{name}: {messages[0]}"
    return f"The request is not valid ({len(errors)} field{'s' if len(errors) != 1 else ''}); see errors."


# --- The DRF exception handler -----------------------------------------------------------------------


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every handled exception as an ErrorResponse body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: list(exc.messages)}
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django logs it and answers 500 (JSON under /api/, see server_error)

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, ApiError):
        body = error_body(code=exc.error_code, detail=str(exc.detail), errors=exc.errors, extra=exc.extra)
    elif isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail if isinstance(exc.detail, (Mapping, list)) else [exc.detail])
        body = error_body(code="validation_error", detail=_validation_sentence(errors), errors=errors)
    else:
        detail = exc.detail
        if isinstance(detail, Mapping):  # e.g. raise NotFound({"detail": ...})
            detail = detail.get("detail", next(iter(detail.values()), ""))
        elif isinstance(detail, list):
            detail = " ".join(str(item) for item in detail)
        body = error_body(code=exc.default_code, detail=str(detail))  # DRF's own: not_found, throttled...

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


# --- Django's error handlers (valuetok/urls.py): JSON under /api/, the usual pages elsewhere ----------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(code: str, detail: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code=code, detail=detail), status=status_code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json("bad_request", "The request could not be understood.", status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json("permission_denied", "You do not have permission to do this.", status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json("not_found", f"No API endpoint at {request.path}.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json("server_error", "Something went wrong on our side; it has been logged.", 500)
    return defaults.server_error(request)
