"""KYC for creators over the API: submit personal data and documents, read the outcome and the level.

What a creator sees of their own checks leaves out the screening and high-risk-country results:
telling someone they matched a sanctions list would tip them off. In their place the list says
only that a person will look at the submission.
"""

from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.kyc.selectors import kyc_checks_for_owner, kyc_status_for_user, kyc_submissions_for_user
from compliance.kyc.services import KycSubmissionInvalid, kyc_submission_create
from compliance.models import IdentityDocument, KycSubmission
from creators.api.permissions import creator_only
from valuetok.pagination import IsoDateTimeFilter

IsCreator = creator_only("Only creators verify their identity.")


# --- Input ------------------------------------------------------------------------------------------


class KycDocumentInputSerializer(serializers.Serializer):
    doc_type = serializers.ChoiceField(choices=IdentityDocument.DocType.choices)
    number = serializers.CharField(max_length=32)
    issuing_country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2, e.g. GB")
    issue_date = serializers.DateField(required=False, allow_null=True)
    expiry_date = serializers.DateField(required=False, allow_null=True)
    mrz = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="The machine-readable zone, lines separated by \\n."
    )
    holder_name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class KycSubmissionCreateSerializer(serializers.Serializer):
    given_names = serializers.CharField(max_length=150)
    surname = serializers.CharField(max_length=150)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=10)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=KycSubmission.Sex.choices, required=False, allow_blank=True)
    nationality = serializers.CharField(min_length=2, max_length=2)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address_country = serializers.CharField(min_length=2, max_length=2)
    phone_number = serializers.CharField(max_length=32, help_text="E.164, e.g. +447400123456")
    email = serializers.EmailField()
    documents = serializers.JSONField(
        help_text="A JSON array with one object per document (doc_type, number, issuing_country, issue_date, "
        "expiry_date, mrz, holder_name), in the order of `files`."
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        allow_empty=False,
        help_text="One JPEG, PNG or PDF per document, in the order of `documents`.",
    )

    def validate_documents(self, value: object) -> list:
        if not isinstance(value, list) or not value or not all(isinstance(d, dict) for d in value):
            raise ValidationError("A non-empty JSON array of document objects.")
        return value

    def validate(self, attrs: dict) -> dict:
        # Document errors are named like the service's: "documents[0].doc_type".
        nested = KycDocumentInputSerializer(data=attrs["documents"], many=True)
        if not nested.is_valid():
            # DRF reports a list's errors by index, as a dict (only the failing items) or as a list.
            by_index = nested.errors.items() if isinstance(nested.errors, dict) else enumerate(nested.errors)
            raise ValidationError(
                {f"documents[{i}].{field}": messages for i, errors in by_index for field, messages in errors.items()}
            )
        attrs["documents"] = nested.validated_data
        if len(attrs["documents"]) != len(attrs["files"]):
            raise ValidationError(
                {"files": [f"{len(attrs['files'])} file(s) for {len(attrs['documents'])} document(s); one each."]}
            )
        return attrs


# --- Output -----------------------------------------------------------------------------------------


class KycCheckSerializer(serializers.Serializer):
    check = serializers.CharField()
    result = serializers.ChoiceField(choices=["pass", "warn", "fail"])
    reason = serializers.CharField()
    document = serializers.CharField(required=False)


class KycDocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    number_last4 = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IdentityDocument
        fields = [
            "id",
            "doc_type",
            "issuing_country",
            "number_last4",
            "issue_date",
            "expiry_date",
            "content_type",
            "size_bytes",
            "download_url",
        ]

    def get_number_last4(self, document: IdentityDocument) -> str:
        return document.number[-4:]

    def get_download_url(self, document: IdentityDocument) -> str:
        path = reverse("compliance:kyc-document", kwargs={"document_id": document.public_id})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class KycSubmissionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    checks = serializers.SerializerMethodField()
    documents = KycDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = KycSubmission
        fields = [
            "id",
            "status",
            "level",
            "score",
            "checks",
            "given_names",
            "surname",
            "date_of_birth",
            "nationality",
            "submitted_at",
            "decided_at",
            "expires_at",
            "documents",
        ]

    @extend_schema_field(KycCheckSerializer(many=True))
    def get_checks(self, submission: KycSubmission) -> list[dict]:
        return kyc_checks_for_owner(submission=submission)


class KycStatusSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text="0 none, 1 basic, 2 verified, 3 enhanced")
    status = serializers.ChoiceField(choices=["none", *KycSubmission.Status.values])
    expires_at = serializers.DateField(allow_null=True)
    submission_id = serializers.UUIDField(allow_null=True)


# --- Examples ---------------------------------------------------------------------------------------

SUBMISSION_EXAMPLE = {
    "id": "3f6c2d1e-0b9a-4e8d-a7c6-5b4a3f2e1d0c",
    "status": "approved",
    "level": 2,
    "score": 91,
    "checks": [
        {"check": "document_expiry", "result": "pass", "reason": "The passport is valid until 2031-04-30."},
        {"check": "mrz_checksum", "result": "pass", "reason": "The machine-readable zone's check digits match."},
        {"check": "age", "result": "pass", "reason": "Over 18."},
    ],
    "given_names": "Jane",
    "surname": "Smith",
    "date_of_birth": "1994-05-17",
    "nationality": "GB",
    "submitted_at": "2026-11-20T09:00:00Z",
    "decided_at": "2026-11-20T09:00:02Z",
    "expires_at": "2031-04-30",
    "documents": [
        {
            "id": "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
            "doc_type": "passport",
            "issuing_country": "GB",
            "number_last4": "6789",
            "issue_date": "2021-04-30",
            "expiry_date": "2031-04-30",
            "content_type": "image/jpeg",
            "size_bytes": 482_113,
            "download_url": "https://valuetok.example/compliance/kyc/documents/8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d/",
        }
    ],
}

SUBMISSION_REQUEST_EXAMPLE = {
    "given_names": "Jane",
    "surname": "Smith",
    "date_of_birth": "1994-05-17",
    "sex": "F",
    "nationality": "GB",
    "address_line1": "1 High Street",
    "city": "London",
    "postal_code": "SW1A 1AA",
    "address_country": "GB",
    "phone_number": "+447400123456",
    "email": "jane@example.com",
    "documents": '[{"doc_type": "passport", "number": "123456789", "issuing_country": "GB", '
    '"issue_date": "2021-04-30", "expiry_date": "2031-04-30"}]',
    "files": ["(binary: passport.jpg)"],
}


# --- Views ------------------------------------------------------------------------------------------


class KycSubmissionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=KycSubmission.Status.choices)
    submitted_after = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = KycSubmission
        fields = ["status", "submitted_after", "submitted_before"]


@extend_schema_view(
    list=extend_schema(
        summary="Your KYC submissions, newest first, with each check's result and reason",
        description="Filter by status and submission time; order by submitted_at (default newest first).",
        examples=[OpenApiExample("Approved", value=SUBMISSION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One of your KYC submissions",
        examples=[OpenApiExample("Approved", value=SUBMISSION_EXAMPLE, response_only=True)],
    ),
)
class KycSubmissionViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = KycSubmissionSerializer
    permission_classes = [IsCreator]
    parser_classes = [MultiPartParser, FormParser]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filterset_class = KycSubmissionFilter
    ordering_fields = ["submitted_at"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return KycSubmission.objects.none()
        return kyc_submissions_for_user(user=self.request.user)

    @extend_schema(
        summary="Submit personal data and identity documents for verification",
        description="A multipart form: the personal data, `documents` (a JSON array, one object per document) and "
        "one file per document in `files`, in the same order. The checks run at once; the answer says whether "
        "the submission was approved, rejected or needs a person's review.",
        request={"multipart/form-data": KycSubmissionCreateSerializer},
        responses={
            201: KycSubmissionSerializer,
            400: OpenApiResponse(description="validation_error; errors per field, e.g. `documents[0].file`."),
            403: OpenApiResponse(description="Signed in, but not a creator."),
        },
        examples=[
            OpenApiExample(
                "A passport",
                value=SUBMISSION_REQUEST_EXAMPLE,
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample("Approved", value=SUBMISSION_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        incoming = KycSubmissionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        files = data.pop("files")
        documents = [{**meta, "file": upload} for meta, upload in zip(data.pop("documents"), files, strict=True)]
        try:
            submission = kyc_submission_create(user=request.user, data=data, documents=documents)
        except KycSubmissionInvalid as exc:
            raise ValidationError(exc.errors) from exc
        body = KycSubmissionSerializer(submission, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class KycStatusView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Your KYC level, the latest submission's status and when the level lapses",
        responses=KycStatusSerializer,
        examples=[
            OpenApiExample(
                "Verified",
                value={"level": 2, "status": "approved", "expires_at": "2031-04-30",
                       "submission_id": SUBMISSION_EXAMPLE["id"]},
                response_only=True,
            ),
            OpenApiExample(
                "Never submitted",
                value={"level": 0, "status": "none", "expires_at": None, "submission_id": None},
                response_only=True,
            ),
        ],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        current = kyc_status_for_user(user=request.user)
        return Response(
            KycStatusSerializer(
                {
                    "level": current.level,
                    "status": current.status,
                    "expires_at": current.expires_at,
                    "submission_id": current.submission_id,
                }
            ).data
        )
