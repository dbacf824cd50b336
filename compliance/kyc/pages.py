"""The identity-verification (KYC) page: the current level and status, the latest submission's outcome
with every check and its reason, and the form to submit.

Any signed-in user may verify (viewers too: decisions.md). The form posts to the same service as the
API (``kyc_submission_create``), which is the only judge of the input; its errors are shown next to
the fields they name, the typed values are kept, and nothing is stored. While a submission waits for
a person the form is hidden (one open submission per person, also a database constraint); after a
rejection or expiry a new one may be sent, and after an approval too (a better document can raise
the level).

What the creator sees of their checks follows the API (compliance/api/kyc.py): screening and
high-risk-country findings are for staff only (telling someone they matched a sanctions list would
tip them off); in their place the list says that a person will look at the submission.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from compliance.kyc.selectors import kyc_checks_for_owner, kyc_status_for_user, kyc_submissions_for_user
from compliance.kyc.services import STILL_OPEN, KycSubmissionInvalid, kyc_submission_create
from compliance.models import IdentityDocument, KycReview, KycSubmission

Status = KycSubmission.Status
WAITING = (Status.SUBMITTED, Status.NEEDS_REVIEW)
HISTORY_SHOWN = 10

CHECK_LABELS = {
    "name_format": "Legal name",
    "age": "Age",
    "phone": "Phone number",
    "document_number": "Document number",
    "mrz_check_digits": "Machine-readable zone: check digits",
    "mrz_fields": "Machine-readable zone: matches the form",
    "document_expiry": "Document validity",
    "document_name": "Name on the document",
    "profile_name": "Name on your account",
    "high_risk_country": "Countries",
    "manual_review": "Review by a person",
}
RESULT_LABELS = {"pass": "Pass", "warn": "Warning", "fail": "Fail"}

# The service's field names for the one document, and the form's.
DOCUMENT_FIELDS = {
    "doc_type": "document_type",
    "number": "document_number",
    "issuing_country": "document_country",
    "issue_date": "document_issue_date",
    "expiry_date": "document_expiry_date",
    "holder_name": "document_holder_name",
    "mrz": "document_mrz",
    "file": "document_file",
}
PERSON_FIELDS = (
    "given_names",
    "surname",
    "date_of_birth",
    "sex",
    "nationality",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "address_country",
    "phone_number",
    "email",
)
COUNTRY_HELP = "Two letters (ISO 3166-1), e.g. GB, DE, NG."


def _text(label: str, *, help_text: str = "", **attrs) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs=attrs), strip=False
    )


def _country(label: str) -> forms.CharField:
    attrs = {"maxlength": 2, "size": 3, "autocapitalize": "characters", "spellcheck": "false", "class": "short"}
    return _text(label, help_text=COUNTRY_HELP, **attrs)


def _date(label: str, *, help_text: str = "", **attrs) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.DateInput(attrs={"type": "date", **attrs})
    )


class KycPageForm(forms.Form):
    """Carries what was typed to the service and back; the service validates (the API's rules)."""

    given_names = _text("Given names", help_text="As on your document.", autocomplete="given-name")
    surname = _text("Surname", autocomplete="family-name")
    date_of_birth = _date("Date of birth", autocomplete="bday")
    sex = forms.ChoiceField(
        label="Sex (optional)",
        required=False,
        choices=[("", "Not given"), *KycSubmission.Sex.choices],
        help_text="As on your document; used to compare with its machine-readable zone.",
    )
    nationality = _country("Nationality")
    address_line1 = _text("Address", autocomplete="address-line1")
    address_line2 = _text("Address, second line (optional)", autocomplete="address-line2")
    city = _text("Town or city", autocomplete="address-level2")
    postal_code = _text("Postal code (optional)", autocomplete="postal-code")
    address_country = _country("Country of address")
    phone_number = forms.CharField(
        label="Phone number",
        required=False,
        help_text="International format with the country code, e.g. +447400123456.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(label="Email", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    document_type = forms.ChoiceField(
        label="Document type", required=False, choices=[("", "Choose…"), *IdentityDocument.DocType.choices]
    )
    document_number = _text("Document number", spellcheck="false", autocomplete="off")
    document_country = _country("Issuing country")
    document_issue_date = _date("Issue date (optional)")
    document_expiry_date = _date("Expiry date", help_text="Leave empty only if the document has none.")
    document_holder_name = _text(
        "Name as printed on the document (optional)", help_text="Only when it differs from the legal name above."
    )
    document_mrz = forms.CharField(
        label="Machine-readable zone (optional)",
        required=False,
        help_text="The two or three lines of letters, digits and < at the bottom of a passport or on the back of "
        "an ID card, one per line. With it, a passport or ID card verifies you at level 2.",
        widget=forms.Textarea(
            attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "characters", "class": "mono"}
        ),
    )
    document_file = forms.FileField(
        label="Photo or scan of the document",
        required=False,
        allow_empty_file=True,  # the service says why an empty file is refused
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        limit = settings.KYC_MAX_UPLOAD_BYTES
        self.fields["document_file"].help_text = f"A JPEG, PNG or PDF of up to {limit / 2**20:g} MiB."

    def person_data(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in PERSON_FIELDS}

    def document_data(self) -> dict:
        document = {ours: self.cleaned_data.get(form_name) or "" for ours, form_name in DOCUMENT_FIELDS.items()}
        document["file"] = self.cleaned_data.get("document_file")  # None when no file was sent
        return document

    def errors_from_service(self, errors: dict[str, list[str]]) -> None:
        """Put each of the service's messages next to the field it names (the rest above the form)."""
        for key, messages_ in errors.items():
            name = key
            if key.startswith("documents[0]."):
                name = DOCUMENT_FIELDS.get(key.removeprefix("documents[0]."), "")
            if name not in self.fields:
                name = None
            self.add_error(name, list(messages_))


def _checks_for_owner(submission: KycSubmission) -> list[dict]:
    """The checks a creator may see (the API's rule), labelled for people."""
    visible = kyc_checks_for_owner(submission=submission)
    for row in visible:
        row["label"] = CHECK_LABELS.get(row["check"], row["check"].replace("_", " ").capitalize())
        row["result_label"] = RESULT_LABELS.get(row["result"], row["result"])
    return visible


def _decision(submission: KycSubmission) -> KycReview | None:
    """The latest approve or reject decision by staff (an escalation's reasoning stays internal)."""
    decided = [KycReview.Decision.APPROVE, KycReview.Decision.REJECT]
    return submission.reviews.filter(decision__in=decided).order_by("-decided_at", "-id").first()


def _initial(user) -> dict:
    return {"given_names": user.first_name, "surname": user.last_name, "email": user.email}


def _page(request: HttpRequest, form: KycPageForm | None, *, status: int = 200) -> HttpResponse:
    submissions = list(kyc_submissions_for_user(user=request.user)[:HISTORY_SHOWN])
    latest = submissions[0] if submissions else None
    current = kyc_status_for_user(user=request.user)
    waiting = latest is not None and latest.status in WAITING
    context = {
        "kyc": current,
        "level_label": KycSubmission.Level(current.level).label.split(" - ", 1)[-1],
        "status_label": Status(current.status).label if current.status in Status.values else "Not verified",
        "latest": latest,
        # The latest submission's status as the selector sees it (an approval past its expiry is expired).
        "latest_status": current.status if latest else None,
        "checks": _checks_for_owner(latest) if latest else [],
        "decision": _decision(latest) if latest else None,
        "earlier": submissions[1:],
        "waiting": waiting,
        "form": None if waiting else form,
        # A submission sent while another waits (e.g. from a second tab): the form is hidden, the refusal shown.
        "refusals": form.non_field_errors() if waiting and form is not None and form.is_bound else [],
        "min_payout_level": settings.PAYOUTS_MIN_KYC_LEVEL,
    }
    return render(request, "compliance/kyc/page.html", context, status=status)


def _outcome_message(submission: KycSubmission) -> tuple[int, str]:
    if submission.status == Status.APPROVED:
        return messages.SUCCESS, f"Your identity is verified at level {submission.level}."
    if submission.status == Status.REJECTED:
        return messages.ERROR, "Your submission was not accepted; the reasons are listed below."
    return messages.INFO, "Your submission was received; a person will review it and we will tell you the outcome."


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def kyc_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, KycPageForm(initial=_initial(request.user)))
    form = KycPageForm(request.POST, request.FILES)
    form.is_valid()  # every field is optional text here: this only binds what was typed
    try:
        submission = kyc_submission_create(user=request.user, data=form.person_data(), documents=[form.document_data()])
    except KycSubmissionInvalid as exc:
        form.errors_from_service(exc.errors)
        return _page(request, form, status=409 if exc.errors.get("non_field_errors") == [STILL_OPEN] else 400)
    level, text = _outcome_message(submission)
    messages.add_message(request, level, text)
    return redirect("compliance:kyc")
