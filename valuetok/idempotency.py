"""The Idempotency-Key contract shared by the API's money-moving POSTs (gifts, withdrawals, top-ups).

Stripe's rules: the header is required; the same key with the same body replays the stored answer,
marked ``Idempotent-Replayed: true``; the key is printable and at most 255 characters.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from valuetok.api_errors import ApiError

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def idempotency_parameter(*, per: str = "request") -> OpenApiParameter:
    """The header as the schema documents it."""
    return OpenApiParameter(
        IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
        description=f"A unique key per {per} (a UUID is best), at most {MAX_KEY_LENGTH} characters.",
    )  # fmt: skip


def idempotency_key(request: Request, *, per: str = "request") -> str:
    """The request's key, or a 400 saying what is wrong with it."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        raise ApiError(f"The {IDEMPOTENCY_HEADER} header is required (a UUID per {per}).",
                       code="idempotency_key_missing")  # fmt: skip
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(f"The {IDEMPOTENCY_HEADER} header must be printable and at most {MAX_KEY_LENGTH} characters.",
                       code="idempotency_key_invalid")  # fmt: skip
    return key


def object_body(request: Request) -> dict:
    """The parsed body, which these endpoints need to be a JSON object."""
    if not isinstance(request.data, dict):
        raise ApiError("The body must be a JSON object.", code="invalid_body")
    return request.data


def replayed_marked(response: Response, *, replayed: bool) -> Response:
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response
