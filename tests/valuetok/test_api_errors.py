"""One error body for the whole API: {"code", "detail", "errors"?}, JSON under /api/ even outside DRF."""

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import RequestFactory
from django.urls import get_resolver
from rest_framework import exceptions
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import CreatorProfileFactory
from valuetok.api_errors import ApiError, api_exception_handler, flatten_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(CreatorProfileFactory().user)
    return client


def body_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


# --- Flattening validation errors ----------------------------------------------------------------


def test_nested_errors_are_flattened_to_dotted_names():
    detail = {
        "address": {"city": ["This field is required."], "lines": {1: ["Too long."]}},
        "documents": [{}, {"number": ["This field is required."]}],
        "aliases": ["Not a list."],
        "non_field_errors": ["Give either a file or a link."],
    }
    assert flatten_errors(detail) == {
        "address.city": ["This field is required."],
        "address.lines[1]": ["Too long."],
        "documents[1].number": ["This field is required."],
        "aliases": ["Not a list."],
        "non_field_errors": ["Give either a file or a link."],
    }


def test_a_bare_message_or_list_is_a_non_field_error():
    assert flatten_errors(["One.", "Two."]) == {"non_field_errors": ["One.", "Two."]}
    assert flatten_errors("Alone.") == {"non_field_errors": ["Alone."]}


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (
            exceptions.ValidationError({"amount_cents": ["A valid integer is required."]}),
            400,
            {
                "code": "validation_error",
                "detail": "amount_cents: A valid integer is required.",
                "errors": {"amount_cents": ["A valid integer is required."]},
            },
        ),
        (
            exceptions.ValidationError({"a": ["x"], "b": {"c": ["y"]}}),
            400,
            {
                "code": "validation_error",
                "detail": "The request is not valid (2 fields); see errors.",
                "errors": {"a": ["x"], "b.c": ["y"]},
            },
        ),
        (
            DjangoValidationError("Not today."),
            400,
            {"code": "validation_error", "detail": "Not today.", "errors": {"non_field_errors": ["Not today."]}},
        ),
        (Http404("No such thing."), 404, {"code": "not_found", "detail": "No such thing."}),
        (DjangoPermissionDenied("Not yours."), 403, {"code": "permission_denied", "detail": "Not yours."}),
        (
            exceptions.MethodNotAllowed("PUT"),
            405,
            {"code": "method_not_allowed", "detail": 'Method "PUT" not allowed.'},
        ),
        (
            ApiError("Used before.", code="idempotency_key_reused", status_code=409, extra={"id": "x"}),
            409,
            {"code": "idempotency_key_reused", "detail": "Used before.", "id": "x"},
        ),
    ],
)
def test_the_handler_maps_every_exception_to_the_one_shape(exc, status, body):
    response = api_exception_handler(exc, {})
    assert (response.status_code, response.data) == (status, body)


def test_a_bug_is_left_to_django_which_answers_500():
    assert api_exception_handler(RuntimeError("boom"), {}) is None


# --- Through the API ----------------------------------------------------------------------------------


def test_anonymous_callers_get_401_with_www_authenticate():
    response = APIClient().get("/api/v1/payouts/balance/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body_of(response) == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}


def test_a_bad_token_is_401_authentication_failed():
    client = APIClient(HTTP_AUTHORIZATION="Bearer vt_not-a-real-key")
    response = client.get("/api/v1/payouts/balance/")
    assert response.status_code == 401
    assert body_of(response)["code"] == "authentication_failed"


def test_another_creators_or_a_missing_object_is_a_json_404(api):
    response = api.get("/api/v1/kyc/submissions/00000000-0000-4000-8000-000000000000/")
    assert response.status_code == 404
    assert body_of(response) == {"code": "not_found", "detail": "No KycSubmission matches the given query."}


def test_a_method_an_endpoint_does_not_have_is_a_json_405(api):
    response = api.delete("/api/v1/payouts/balance/")
    assert response.status_code == 405
    assert body_of(response) == {"code": "method_not_allowed", "detail": 'Method "DELETE" not allowed.'}


def test_malformed_json_is_a_400_parse_error(api):
    response = api.post(
        "/api/v1/payouts/withdrawals/", data="{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert body_of(response)["code"] == "parse_error"


def test_an_unsupported_content_type_is_a_415(api):
    response = api.post("/api/v1/gifts/", data="a,b", content_type="text/csv", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 415
    assert body_of(response)["code"] == "unsupported_media_type"


def test_a_signed_in_user_without_the_right_is_403(api):
    response = api.post("/api/v1/wallet/topups/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 403
    assert body_of(response) == {
        "code": "permission_denied",
        "detail": "Only Finance staff may do this.",
    }


def test_throttled_requests_get_429_with_retry_after(api, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "payouts": "1/min"})
    try:
        assert api.get("/api/v1/payouts/balance/").status_code == 200
        response = api.get("/api/v1/payouts/balance/")
    finally:
        cache.clear()
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    body = body_of(response)
    assert body["code"] == "throttled"
    assert body["detail"].startswith("Request was throttled.")


# --- Outside DRF: Django's handlers ---------------------------------------------------------------------


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert body_of(response) == {"code": "not_found", "detail": "No API endpoint at /api/v1/no-such-thing/."}


def test_an_unknown_page_elsewhere_is_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_api_is_json_and_html_elsewhere():
    handler = get_resolver().resolve_error_handler(500)
    api_response = handler(RequestFactory().get("/api/v1/videos/"))
    assert api_response.status_code == 500
    assert body_of(api_response) == {
        "code": "server_error",
        "detail": "Something went wrong on our side; it has been logged.",
    }
    page = handler(RequestFactory().get("/dashboard/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("status", "path"), [(400, "/api/v1/x"), (403, "/api/v1/x")])
def test_djangos_400_and_403_under_api_are_json(status, path):
    handler = get_resolver().resolve_error_handler(status)
    response = handler(RequestFactory().get(path), exception=Exception("refused"))
    assert response.status_code == status
    assert set(body_of(response)) == {"code", "detail"}
