"""KYC writes: submitting, deciding reviews, expiring verifications.

How a submission is decided (``kyc_outcome``), from the check results of checks.py:

1. A sanctions match over the line (``sanctions_screening`` fails) sends it to **needs review**,
   whatever else failed: a possible listed person is never decided by a rule, staff look at it.
2. Otherwise any failed identity check (name format, age, phone, document number, MRZ check
   digits or fields, expiry, name on the document) **rejects** it.
3. Otherwise any warning (PEP match, high-risk country, initials only, VoIP phone, name close but not
   equal, screening not possible because no list is loaded, ...) sends it to **needs review**.
4. Otherwise it is **approved**.

The level an approval grants (``eligible_level``): **2, verified**, when a passport or national ID
card has a machine-readable zone whose check digits verify and whose fields match the form (and
the document is current and its name matches); **1, basic**, otherwise (e.g. a driving licence,
or no MRZ given). **3, enhanced**, is granted only by staff: a reviewer escalates a submission in
review to enhanced due diligence (source of funds, a video call, a second document), and a
*different* reviewer approves it (four eyes). **0** whenever the submission is not approved.

The score (0 to 100, for sorting and reading, not for deciding): 100, minus 40 per failed identity
check, minus 30 for a sanctions match, minus 10 per warning.

A verification lapses with its document: ``expires_at`` is the earliest expiry date among the
documents (for one without an expiry date, its issue date plus ``KYC_NO_EXPIRY_MAX_AGE_YEARS``);
the daily task ``compliance.expire_kyc`` moves approved and waiting submissions past it to expired.
Every automated status change and every staff decision writes an AuditEvent.
"""

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from compliance.audit import audit, subject_of
from compliance.models import IdentityDocument, KycReview, KycSubmission, SanctionsList

from . import checks
from .checks import FAIL, PASS, WARN, CheckResult, DocumentData, PersonData
from .countries import is_country_code
from .documents import DocumentUploadError, SniffedUpload, document_upload_inspect
from .mrz import MrzFormatError, mrz_parse, normalise_lines

logger = logging.getLogger(__name__)

STILL_OPEN = "A previous submission is still being reviewed."

Status = KycSubmission.Status
Level = KycSubmission.Level


class KycSubmissionInvalid(Exception):
    """The submitted data cannot be accepted; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class KycDecisionError(Exception):
    """A review decision that cannot be taken on this submission in its current state."""


# --- Input validation -----------------------------------------------------------------------------


def _country_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        max_length=2, min_length=2, required=required, label=label, help_text="ISO 3166-1 alpha-2, e.g. GB"
    )


class PersonForm(forms.Form):
    given_names = forms.CharField(max_length=150)
    surname = forms.CharField(max_length=150)
    date_of_birth = forms.DateField(input_formats=["%Y-%m-%d"])
    sex = forms.ChoiceField(choices=[("", ""), *KycSubmission.Sex.choices], required=False)
    nationality = _country_field("nationality")
    address_line1 = forms.CharField(max_length=200)
    address_line2 = forms.CharField(max_length=200, required=False)
    city = forms.CharField(max_length=100)
    postal_code = forms.CharField(max_length=20, required=False)
    address_country = _country_field("address country")
    phone_number = PhoneNumberField(region=None)
    email = forms.EmailField()

    def clean(self) -> dict:
        data = super().clean()
        for name in ("nationality", "address_country"):
            value = (data.get(name) or "").upper()
            if name in data and not is_country_code(value):
                self.add_error(name, f"{value!r} is not an ISO 3166-1 alpha-2 country code.")
            elif name in data:
                data[name] = value
        return data


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(choices=IdentityDocument.DocType.choices)
    number = forms.CharField(max_length=32)
    issuing_country = _country_field("issuing country")
    issue_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    expiry_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    mrz = forms.CharField(required=False, max_length=200, strip=True)
    holder_name = forms.CharField(required=False, max_length=200)

    def clean(self) -> dict:
        data = super().clean()
        country = (data.get("issuing_country") or "").upper()
        if "issuing_country" in data and not is_country_code(country):
            self.add_error("issuing_country", f"{country!r} is not an ISO 3166-1 alpha-2 country code.")
        data["issuing_country"] = country
        issued, expires = data.get("issue_date"), data.get("expiry_date")
        if issued and expires and expires <= issued:
            self.add_error("expiry_date", "The expiry date must be after the issue date.")
        return data


def _aliases(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise KycSubmissionInvalid({"aliases": ["Aliases are a list of names."]})
    aliases = [v.strip() for v in value if v.strip()]
    if len(aliases) > 10 or any(len(a) > 200 for a in aliases):
        raise KycSubmissionInvalid({"aliases": ["At most 10 aliases of up to 200 characters."]})
    return aliases


def _form_errors(form: forms.Form, prefix: str = "") -> dict[str, list[str]]:
    return {f"{prefix}{field}": [str(m) for m in messages] for field, messages in form.errors.items()}


def _validate(
    data: Mapping, documents: Sequence[Mapping]
) -> tuple[dict, list[str], list[tuple[dict, object, SniffedUpload]]]:
    errors: dict[str, list[str]] = {}
    person = PersonForm(data=dict(data))
    if not person.is_valid():
        errors.update(_form_errors(person))
    try:
        aliases = _aliases(data.get("aliases"))
    except KycSubmissionInvalid as exc:
        errors.update(exc.errors)
        aliases = []
    if not documents:
        errors["documents"] = ["At least one identity document (passport, national ID or driving licence) is needed."]
    elif len(documents) > settings.KYC_MAX_DOCUMENTS:
        errors["documents"] = [f"At most {settings.KYC_MAX_DOCUMENTS} documents per submission."]
    validated_docs = []
    for i, doc in enumerate(documents or ()):
        form = DocumentForm(data={k: v for k, v in doc.items() if k != "file"})
        prefix = f"documents[{i}]."
        if not form.is_valid():
            errors.update(_form_errors(form, prefix))
        upload = doc.get("file")
        sniffed = None
        if upload is None or not hasattr(upload, "chunks"):
            errors[f"{prefix}file"] = ["An image (JPEG, PNG) or PDF of the document is needed."]
        else:
            try:
                sniffed = document_upload_inspect(upload)
            except DocumentUploadError as exc:
                errors[f"{prefix}file"] = [str(exc)]
        if form.is_valid() and sniffed is not None:
            validated_docs.append((form.cleaned_data, upload, sniffed))
    if errors:
        raise KycSubmissionInvalid(errors)
    return person.cleaned_data, aliases, validated_docs


# --- Checks and outcome -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KycOutcome:
    status: str
    eligible_level: int
    score: int


def kyc_outcome(results: Sequence[CheckResult]) -> KycOutcome:
    """Status, eligible level and score from the check results; the rules are in the module docstring."""
    identity_fails = [r for r in results if r.result == FAIL and r.check in checks.IDENTITY_CHECKS]
    sanctions_hit = any(r.result == FAIL and r.check == checks.SANCTIONS for r in results)
    warnings = [r for r in results if r.result == WARN]
    score = max(0, 100 - 40 * len(identity_fails) - 30 * sanctions_hit - 10 * len(warnings))
    if sanctions_hit:
        status = Status.NEEDS_REVIEW
    elif identity_fails:
        status = Status.REJECTED
    elif warnings or any(r.result == FAIL for r in results):
        status = Status.NEEDS_REVIEW
    else:
        status = Status.APPROVED
    return KycOutcome(status=status, eligible_level=_eligible_level(results), score=score)


def _eligible_level(results: Sequence[CheckResult]) -> int:
    by_document: dict[str, dict[str, str]] = {}
    for r in results:
        if r.document:
            by_document.setdefault(r.document, {})[r.check] = r.result
    needed = (checks.MRZ_CHECK_DIGITS, checks.MRZ_FIELDS, checks.DOCUMENT_EXPIRY, checks.DOCUMENT_NAME)
    for label, outcome in by_document.items():
        machine_readable = label.split(": ", 1)[-1].startswith(("passport", "national id"))
        if machine_readable and all(outcome.get(c) == PASS for c in needed):
            return Level.VERIFIED
    return Level.BASIC


def kyc_checks_run(
    *, person: PersonData, documents: Sequence[DocumentData], profile_name: str, today: date
) -> list[CheckResult]:
    """Every deterministic check on one submission, in a stable order (screening excluded)."""
    results = [
        checks.check_name_format(given_names=person.given_names, surname=person.surname),
        checks.check_age(date_of_birth=person.date_of_birth, today=today),
        checks.check_phone(phone=person.phone),
    ]
    for doc in documents:
        results.append(
            checks.check_document_number(
                doc_type=doc.doc_type, issuing_country=doc.issuing_country, number=doc.number, document=doc.label
            )
        )
        mrz = None
        if doc.mrz:
            digits, mrz = checks.check_mrz_digits(mrz_text=doc.mrz, document=doc.label)
            results.append(digits)
            if mrz is not None:
                if doc.expiry_date is None and mrz.valid:
                    doc.expiry_date = mrz.expiry_date()
                results.append(checks.check_mrz_fields(mrz=mrz, doc=doc, person=person, today=today))
        results.append(checks.check_document_expiry(doc=doc, today=today, date_of_birth=person.date_of_birth))
        results.append(checks.check_document_name(doc=doc, person=person, mrz=mrz))
    results.append(checks.check_profile_name(person=person, profile_name=profile_name))
    results.append(checks.check_high_risk_countries(person=person, documents=documents))
    return results


def kyc_screen(*, person: PersonData, extra_names: Sequence[str] = ()) -> tuple[CheckResult, list[dict]]:
    """Screen the person and their aliases against the sanctions and PEP lists."""
    list_loaded = SanctionsList.objects.filter(kind=SanctionsList.Kind.SANCTIONS, active=True).exists()
    aliases = list(dict.fromkeys(n for n in (*person.aliases, *extra_names) if n and n != person.legal_name))
    try:
        from compliance.screening import name_screen

        found = name_screen(name=person.legal_name, aliases=aliases, kinds=("sanctions", "pep"), limit=5)
    except Exception as exc:  # screening must never let a submission through unscreened
        logger.exception("kyc_screening_failed error=%s", type(exc).__name__)
        failed = CheckResult(checks.SANCTIONS, WARN, "Screening failed; a reviewer must screen by hand.", internal=True)
        return failed, []
    matches = [
        {
            "list_kind": m.list_kind,
            "entry_id": m.entry_id,
            "ent_num": m.ent_num,
            "entry_name": m.entry_name,
            "matched_name": m.matched_name,
            "name_kind": m.name_kind,
            "score": round(float(m.score), 4),
            "over_line": bool(m.over_line),
        }
        for m in found
    ]
    return checks.check_sanctions(matches=matches, list_loaded=list_loaded), matches


def _document_names(documents: Sequence[DocumentData]) -> list[str]:
    # The names the documents carry are screened too: they may differ from the typed legal name.
    names = []
    for doc in documents:
        if doc.holder_name:
            names.append(doc.holder_name)
        if doc.mrz:
            with contextlib.suppress(MrzFormatError):
                names.append(mrz_parse(doc.mrz).full_name)
    return [n for n in names if n]


def _expires_at(documents: Sequence[DocumentData]) -> date | None:
    ends = []
    for doc in documents:
        if doc.expiry_date:
            ends.append(doc.expiry_date)
        elif doc.issue_date:
            ends.append(checks.no_expiry_deadline(doc.issue_date))
    return min(ends) if ends else None


# --- Services ------------------------------------------------------------------------------------------


def kyc_submission_create(*, user, data: Mapping, documents: Sequence[Mapping]) -> KycSubmission:
    """Validate a creator's personal data and documents, run every check and screening, store the result.

    Raises KycSubmissionInvalid (nothing stored) when the input is not acceptable or another
    submission of the same person is still open.
    """
    person_data, aliases, docs = _validate(data, documents)
    if KycSubmission.objects.filter(user=user, status__in=[Status.SUBMITTED, Status.NEEDS_REVIEW]).exists():
        raise KycSubmissionInvalid({"non_field_errors": [STILL_OPEN]})

    today = timezone.localdate()
    person = PersonData(
        given_names=person_data["given_names"].strip(),
        surname=person_data["surname"].strip(),
        date_of_birth=person_data["date_of_birth"],
        nationality=person_data["nationality"],
        address_country=person_data["address_country"],
        phone=person_data["phone_number"].as_e164,
        sex=person_data.get("sex") or "",
        aliases=aliases,
    )
    doc_data = [
        DocumentData(
            doc_type=cleaned["doc_type"],
            number=cleaned["number"].strip(),
            issuing_country=cleaned["issuing_country"],
            issue_date=cleaned.get("issue_date"),
            expiry_date=cleaned.get("expiry_date"),
            mrz=cleaned.get("mrz") or "",
            holder_name=(cleaned.get("holder_name") or "").strip(),
            label=f"document {i}: {cleaned['doc_type'].replace('_', ' ')} {cleaned['issuing_country']}",
        )
        for i, (cleaned, _, _) in enumerate(docs, start=1)
    ]
    results = kyc_checks_run(
        person=person, documents=doc_data, profile_name=user.get_full_name() if user.first_name else "", today=today
    )
    screening, matches = kyc_screen(person=person, extra_names=_document_names(doc_data))
    results.append(screening)
    outcome = kyc_outcome(results)
    now = timezone.now()

    saved_files: list[IdentityDocument] = []
    try:
        with transaction.atomic():
            submission = KycSubmission.objects.create(
                user=user,
                given_names=person.given_names,
                surname=person.surname,
                aliases=aliases,
                date_of_birth=person.date_of_birth,
                sex=person.sex,
                nationality=person.nationality,
                address_line1=person_data["address_line1"],
                address_line2=person_data.get("address_line2") or "",
                city=person_data["city"],
                postal_code=person_data.get("postal_code") or "",
                address_country=person.address_country,
                phone_number=person.phone,
                email=person_data["email"],
                status=outcome.status,
                level=outcome.eligible_level if outcome.status == Status.APPROVED else Level.NONE,
                eligible_level=outcome.eligible_level,
                score=outcome.score,
                flags=[r.as_dict() for r in results],
                screening_matches=matches,
                submitted_at=now,
                decided_at=now if outcome.status in (Status.APPROVED, Status.REJECTED) else None,
                expires_at=_expires_at(doc_data),
            )
            for (_cleaned, upload, sniffed), doc in zip(docs, doc_data, strict=True):
                document = IdentityDocument(
                    submission=submission,
                    doc_type=doc.doc_type,
                    number=checks.normalise_document_number(doc.number),
                    issuing_country=doc.issuing_country,
                    holder_name=doc.holder_name,
                    issue_date=doc.issue_date,
                    expiry_date=doc.expiry_date,
                    mrz="\n".join(normalise_lines(doc.mrz)) if doc.mrz else "",
                    content_type=sniffed.content_type,
                    size_bytes=sniffed.size_bytes,
                    sha256=sniffed.sha256,
                )
                document.file.save("upload", upload, save=False)
                saved_files.append(document)
                document.save()
            failed = [r for r in results if r.result != PASS]
            audit(
                actor=None,
                action="kyc.checks_decided",
                instance=submission,
                before={"status": Status.SUBMITTED},
                after={"status": submission.status, "level": submission.level, "score": submission.score},
                reason="; ".join(f"{r.check}: {r.result}" for r in failed) or "every check passed",
            )
    except IntegrityError as exc:
        _files_delete(saved_files)
        if KycSubmission.objects.filter(user=user, status__in=[Status.SUBMITTED, Status.NEEDS_REVIEW]).exists():
            # A concurrent submission of the same person won the one-open-per-person constraint.
            raise KycSubmissionInvalid({"non_field_errors": [STILL_OPEN]}) from exc
        raise
    except BaseException:
        _files_delete(saved_files)
        raise
    logger.info(
        "kyc_submission_created submission=%s status=%s level=%s score=%s",
        submission.pk,
        submission.status,
        submission.level,
        submission.score,
    )
    return submission


def _files_delete(documents: Sequence[IdentityDocument]) -> None:
    # Rolled back: the rows are gone, so the stored files must go too (nothing half-stored).
    for document in documents:
        if document.file.name:
            document.file.storage.delete(document.file.name)


def kyc_review_decide(*, submission: KycSubmission, reviewer, decision: str, reason: str) -> KycSubmission:
    """A staff decision on a submission: approve, reject or escalate to enhanced due diligence.

    * approve: needs review -> approved, at the eligible level (at least 1), or at level 3 when the
      submission was escalated, and then only by a reviewer other than the one who escalated it.
    * reject: needs review or approved -> rejected (an approval can be revoked), level 0.
    * escalate: needs review -> still needs review, marked for enhanced due diligence.

    The move is a compare-and-set on the status read here: a concurrent decision makes this one
    raise KycDecisionError instead of overwriting it. Writes a KycReview and an AuditEvent.
    """
    reason = (reason or "").strip()
    if not reason:
        raise KycDecisionError("A decision needs a reason.")
    if not reviewer.has_perm("compliance.review_kycsubmission"):
        raise KycDecisionError("This account may not decide KYC reviews.")
    if submission.user_id == reviewer.pk:
        raise KycDecisionError("Nobody may decide their own KYC submission.")
    submission.refresh_from_db()
    current, enhanced = submission.status, submission.enhanced_review
    today = timezone.localdate()
    update: dict[str, object] = {}
    if decision == KycReview.Decision.APPROVE:
        if current != Status.NEEDS_REVIEW:
            raise KycDecisionError(f"Only a submission in review can be approved; this one is {current}.")
        if submission.expires_at and submission.expires_at < today:
            raise KycDecisionError(f"The document expired on {submission.expires_at}; it cannot be approved.")
        if enhanced and submission.escalated_by_id == reviewer.pk:
            raise KycDecisionError("An escalated submission must be approved by a second reviewer.")
        level = Level.ENHANCED if enhanced else max(submission.eligible_level, Level.BASIC)
        update = {"status": Status.APPROVED, "level": level, "decided_at": timezone.now()}
    elif decision == KycReview.Decision.REJECT:
        if current not in (Status.NEEDS_REVIEW, Status.APPROVED):
            raise KycDecisionError(f"Only a submission in review or approved can be rejected; this one is {current}.")
        update = {"status": Status.REJECTED, "level": Level.NONE, "decided_at": timezone.now()}
    elif decision == KycReview.Decision.ESCALATE:
        if current != Status.NEEDS_REVIEW or enhanced:
            raise KycDecisionError("Only a submission in review that is not yet escalated can be escalated.")
        update = {"enhanced_review": True, "escalated_by": reviewer}
    else:
        raise KycDecisionError(f"Unknown decision {decision!r}.")

    before = {"status": current, "level": submission.level, "enhanced_review": enhanced}
    with transaction.atomic():
        changed = KycSubmission.objects.filter(pk=submission.pk, status=current, enhanced_review=enhanced).update(
            **update
        )
        if changed != 1:
            raise KycDecisionError("The submission was changed by someone else meanwhile; reload and decide again.")
        submission.refresh_from_db()
        after = {"status": submission.status, "level": submission.level, "enhanced_review": submission.enhanced_review}
        KycReview.objects.create(
            submission=submission,
            reviewer=reviewer,
            decision=decision,
            reason=reason,
            from_status=current,
            to_status=submission.status,
            level=submission.level,
        )
        audit(
            actor=reviewer,
            action=f"kyc.review_{decision}",
            instance=submission,
            before=before,
            after=after,
            reason=reason,
        )
    logger.info("kyc_review_decided submission=%s decision=%s reviewer=%s", submission.pk, decision, reviewer.pk)
    return submission


def kyc_submissions_expire(*, today: date | None = None, chunk_size: int = 500) -> int:
    """Move approved and waiting submissions whose documents have expired to expired. Safe to rerun."""
    today = today or timezone.localdate()
    expired = 0
    stale = KycSubmission.objects.filter(status__in=[Status.APPROVED, Status.NEEDS_REVIEW], expires_at__lt=today)
    while True:
        batch = list(stale.order_by("pk").values_list("pk", "status", "level", "expires_at")[:chunk_size])
        if not batch:
            return expired
        for pk, status, level, expires_at in batch:
            with transaction.atomic():
                if not KycSubmission.objects.filter(pk=pk, status=status).update(status=Status.EXPIRED, level=0):
                    continue  # decided meanwhile: the next batch reads its new status
                audit(
                    actor=None,
                    action="kyc.expired",
                    subject=subject_of(model=KycSubmission, pk=pk),
                    before={"status": status, "level": level},
                    after={"status": Status.EXPIRED, "level": 0},
                    reason=f"The identity document expired on {expires_at}.",
                )
                expired += 1
