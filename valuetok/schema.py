"""How the OpenAPI schema describes every operation, beyond what each view declares.

- Tags: the app that owns the view (``creators``, ``integrity``, ``moderation``, ``compliance``,
  ``payouts``), unless the view names its own.
- Errors: every operation documents the error responses it can give, each with the one
  ``ErrorResponse`` body (valuetok/api_errors.py): 400 for a body or filters, 401 and 403 where a
  caller must be signed in, 404 for a path with an id or a page number, 429 where throttled. A view's
  own declaration of an error status is kept (its description), with the ErrorResponse body.
- Examples: :func:`postprocess_error_examples` gives every error response without an example
  one for its status, and documents WWW-Authenticate (401) and Retry-After (429).
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions
from rest_framework.mixins import ListModelMixin
from rest_framework.settings import api_settings

from valuetok.api_errors import ErrorResponseSerializer

APPS = ("creators", "integrity", "moderation", "compliance", "payouts")
ERROR_COMPONENT = "ErrorResponse"

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid (code validation_error, with errors per field), or was refused.",
    "401": "Not signed in: send `Authorization: Bearer <token>` (see WWW-Authenticate).",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object of yours, or no such page.",
    "409": "Conflicts with the current state (e.g. an idempotency key reused with another body).",
    "422": "Understood, but cannot be done.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}

ERROR_EXAMPLES = {
    "400": {
        "code": "validation_error",
        "detail": "The request is not valid (2 fields); see errors.",
        "errors": {"title": ["This field is required."], "documents[0].number": ["This field is required."]},
    },
    "401": {"code": "not_authenticated", "detail": "Authentication credentials were not provided."},
    "403": {"code": "permission_denied", "detail": "You do not have permission to perform this action."},
    "404": {"code": "not_found", "detail": "No Video matches the given query."},
    "405": {"code": "method_not_allowed", "detail": 'Method "DELETE" not allowed.'},
    "409": {"code": "conflict", "detail": "This Idempotency-Key was already used with a different body."},
    "422": {"code": "unprocessable", "detail": "The request cannot be carried out."},
    "429": {"code": "throttled", "detail": "Request was throttled. Expected available in 42 seconds."},
    "500": {"code": "server_error", "detail": "Something went wrong on our side; it has been logged."},
}


class AutoSchema(openapi.AutoSchema):
    def get_tags(self) -> list[str]:
        app = type(self.view).__module__.split(".", 1)[0]
        return [app] if app in APPS else super().get_tags()

    # --- errors ---------------------------------------------------------------------------------------

    def _requires_auth(self) -> bool:
        perms = self.view.get_permissions() if hasattr(self.view, "get_permissions") else []
        return any(not isinstance(p, permissions.AllowAny) for p in perms)

    def _is_listing(self) -> bool:
        return self.method == "GET" and (
            getattr(self.view, "action", None) in ("list", "mine") or isinstance(self.view, ListModelMixin)
        )

    def _error_codes(self) -> list[str]:
        codes = []
        has_body = self.method in ("POST", "PUT", "PATCH")
        filtered = self._is_listing() and bool(getattr(self.view, "filter_backends", None))
        if has_body or filtered:
            codes.append("400")
        if self._requires_auth():
            codes += ["401", "403"]
        if "{" in self.path or self._is_listing():
            codes.append("404")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def map_parsers(self) -> list[str]:
        # Views on the default parsers are a JSON API (forms are accepted for the pages' own use, not
        # documented); a view that names its parsers (uploads: multipart) documents them.
        if self.view.parser_classes == api_settings.DEFAULT_PARSER_CLASSES:
            return ["application/json"]
        return super().map_parsers()

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        examples = super()._get_examples(serializer, direction, media_type, status_code, extras)
        if not examples and direction == "request" and media_type != "application/json":
            # A request example given once (as JSON) illustrates the form encodings as well.
            examples = super()._get_examples(serializer, direction, "application/json", status_code, extras)
        return examples

    def _get_response_bodies(self, direction="response") -> dict:
        declared = self.get_response_serializers()
        if isinstance(declared, dict):
            responses = {str(code): value for code, value in declared.items()}
        elif self.method == "DELETE":
            responses = {"204": None}
        else:
            responses = {"201" if self._is_create_operation() else "200": declared}

        for code, value in list(responses.items()):
            if not code.isdigit() or int(code) < 400:
                continue
            description = ERROR_DESCRIPTIONS.get(code, "")
            examples: list = []
            if isinstance(value, OpenApiResponse):
                description = value.description or description
                examples = value.examples or []
                value = value.response
            if isinstance(value, dict):
                continue  # a raw schema the view composed itself (e.g. allOf ErrorResponse)
            # Every error answers the one ErrorResponse body.
            responses[code] = OpenApiResponse(ErrorResponseSerializer, description=description, examples=examples)
        for code in self._error_codes():
            responses.setdefault(code, OpenApiResponse(ErrorResponseSerializer, description=ERROR_DESCRIPTIONS[code]))

        bodies = {}
        for code, value in sorted(responses.items()):
            if value is None and code == "204":
                bodies[code] = {"description": "No response body"}
                continue
            bodies[code] = self._get_response_for_code(value, code, None, direction)
        return bodies


# --- Postprocessing hook ------------------------------------------------------------------------------


ERROR_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": 'The scheme to authenticate with: Bearer realm="api".',
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "description": "Seconds to wait before the next request.",
        }
    },
}


def postprocess_error_examples(result: dict, generator, request, public) -> dict:
    """Give each error response that has none an example of the ErrorResponse body for its status, and
    document the headers that come with 401 (WWW-Authenticate) and 429 (Retry-After)."""
    ref = f"#/components/schemas/{ERROR_COMPONENT}"
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for code, response in operation.get("responses", {}).items():
                if code in ERROR_HEADERS:
                    response.setdefault("headers", {}).update(ERROR_HEADERS[code])
                for media in response.get("content", {}).values():
                    if media.get("schema", {}).get("$ref") != ref or media.get("examples"):
                        continue
                    value = ERROR_EXAMPLES.get(code, {"code": "error", "detail": response.get("description", "")})
                    media["examples"] = {f"Error{code}": {"value": value, "summary": f"{code} error"}}
    return result
