"""Builders shared by the KYC and phone-trust tests: valid people, MRZs with real check digits, uploads."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from compliance.kyc.mrz import check_digit
from compliance.models import IdentityDocument
from creators.models import User
from creators.roles import TRUST_AND_SAFETY
from tests.factories import UserFactory

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 21)

# ICAO 9303 part 4 and part 5 specimens (Utopia, a country that exists only in the standard).
SPECIMEN_TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
SPECIMEN_TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100
HTML_BYTES = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def _field(value: str, length: int) -> str:
    return (value + "<" * length)[:length]


def _name_field(surname: str, given: str, length: int) -> str:
    return _field(surname.upper().replace(" ", "<") + "<<" + given.upper().replace(" ", "<"), length)


def mrz_td3(
    *,
    number: str = "123456789",
    issuing: str = "GBR",
    nationality: str = "GBR",
    surname: str = "SMITH",
    given: str = "JANE ELIZABETH",
    birth: str = "900115",
    sex: str = "F",
    expiry: str = "310601",
    personal: str = "",
) -> str:
    """A passport MRZ with correct check digits for the given fields."""
    line1 = _field("P<" + issuing, 5) + _name_field(surname, given, 39)
    num = _field(number, 9)
    opt = _field(personal, 14)
    body = num + check_digit(num) + _field(nationality, 3) + birth + check_digit(birth) + sex
    body += expiry + check_digit(expiry) + opt + check_digit(opt)
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return f"{line1}\n{body}{composite}"


def mrz_td1(
    *,
    number: str = "T22000129",
    issuing: str = "DEU",
    nationality: str = "DEU",
    surname: str = "MUSTERMANN",
    given: str = "ERIKA",
    birth: str = "830812",
    sex: str = "F",
    expiry: str = "310131",
) -> str:
    num = _field(number, 9)
    line1 = _field("ID" + issuing, 5) + num + check_digit(num) + "<" * 15
    line2 = birth + check_digit(birth) + sex + expiry + check_digit(expiry) + _field(nationality, 3) + "<" * 11
    composite = check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return f"{line1}\n{line2}{composite}\n{_name_field(surname, given, 30)}"


def upload(content: bytes = JPEG_BYTES, name: str = "passport.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def person_data(**overrides) -> dict:
    data = {
        "given_names": "Jane Elizabeth",
        "surname": "Smith",
        "date_of_birth": "1990-01-15",
        "sex": "F",
        "nationality": "GB",
        "address_line1": "1 Test Street",
        "city": "London",
        "postal_code": "N1 9GU",
        "address_country": "GB",
        "phone_number": "+447400123456",
        "email": "jane@example.com",
    }
    data.update(overrides)
    return data


def passport(**overrides) -> dict:
    doc = {
        "doc_type": "passport",
        "number": "123456789",
        "issuing_country": "GB",
        "issue_date": "2021-06-01",
        "expiry_date": "2031-06-01",
        "mrz": mrz_td3(),
        "file": upload(),
    }
    doc.update(overrides)
    return doc


def sanctions_list_load() -> None:
    call_command(
        "load_sanctions",
        kind="sanctions",
        sdn=DATA / "kyc_sdn.csv",
        alt=DATA / "kyc_alt.csv",
        add=DATA / "kyc_add.csv",
        stdout=io.StringIO(),
    )


# --- Fixtures (import them into a test module to use them) -----------------------------------------


@pytest.fixture(name="private_media")
def private_media_fixture(tmp_path, monkeypatch):
    """Identity documents go to a temporary folder instead of the private media root."""
    storage = IdentityDocument._meta.get_field("file").storage
    monkeypatch.setattr(storage, "location", str(tmp_path))
    return tmp_path


@pytest.fixture(name="sanctions_loaded")
def sanctions_loaded_fixture(db) -> None:
    sanctions_list_load()


@pytest.fixture(name="creator")
def creator_fixture(db):
    # The account's name matches the legal name used in person_data(), so profile_name passes.
    return UserFactory(first_name="Jane", last_name="Smith", email="jane@example.com")


def reviewer_make(email: str = "reviewer@valuetok.test"):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    return User.objects.get(pk=user.pk)  # fresh object: no cached permissions


@pytest.fixture(name="reviewer")
def reviewer_fixture(db):
    return reviewer_make()


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())
