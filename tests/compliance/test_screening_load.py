"""Loading screening lists: validation with file and line, one transaction, idempotence, versions."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance.models import AuditEvent, SanctionsEntry, SanctionsList, SanctionsName
from compliance.screening.services import ListFileError, sanctions_list_load

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db

SDN_ROWS = (
    '10,"SMITHERS, Waylon","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1970."\r\n'
    '11,"ACME TRADING CO., LTD.",-0- ,"IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '12,"SEA STAR","vessel","CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    "\x1a"  # OFAC's files end with a DOS end-of-file mark
)
ALT_ROWS = '10,1,"aka","SMITHERS, Wayland",-0- \r\n11,2,"fka","ACME IMPORT",-0- \r\n'
ADD_ROWS = '10,1,-0- ,"Springfield","United States",-0- \r\n11,2,-0- ,"Tehran","Iran",-0- \r\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, sdn: str = SDN_ROWS, alt: str = ALT_ROWS, add: str = ADD_ROWS, kind: str = "sanctions"):
    return sanctions_list_load(
        kind=kind, sdn_path=write(tmp_path, "sdn.csv", sdn), alt_path=write(tmp_path, "alt.csv", alt),
        add_path=write(tmp_path, "add.csv", add),
    )  # fmt: skip


def test_loading_stores_entries_names_countries_and_an_audit_event(tmp_path):
    result = load(tmp_path)
    assert result.created
    assert result.entries == 3
    assert result.names == 5
    listing = SanctionsList.objects.get(kind="sanctions", active=True)
    person = SanctionsEntry.objects.get(listing=listing, ent_num=10)
    assert person.party_type == "individual"
    assert person.programs == "SDGT"
    assert person.remarks == "DOB 1970."
    assert person.countries == ["US"]
    assert SanctionsEntry.objects.get(listing=listing, ent_num=11).party_type == "entity"
    alias = SanctionsName.objects.get(entry=person, kind="aka")
    assert alias.name == "SMITHERS, Wayland"
    assert alias.tokens == ["wayland", "smithers"]
    assert alias.normalized == "smithers wayland"
    assert SanctionsName.objects.get(entry__ent_num=11, kind="primary").tokens == ["acme", "trading", "co", "ltd"]
    event = AuditEvent.objects.get(action="sanctions_list.loaded")
    assert event.subject == f"compliance.sanctionslist:{listing.pk}"
    assert event.after["entries"] == 3


def test_a_broken_row_is_refused_with_file_and_line_and_nothing_changes(tmp_path):
    first = load(tmp_path).listing
    broken_sdn = SDN_ROWS.replace('12,"SEA STAR","vessel"', '12,"SEA STAR","submarine"')
    bad_number = 'abc,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    with pytest.raises(ListFileError) as refused:
        load(tmp_path, sdn=broken_sdn.replace("\x1a", "") + bad_number)
    problems = refused.value.problems
    assert any(p.endswith("sdn.csv line 3: unknown SDN_Type 'submarine'") for p in problems)
    assert any("sdn.csv line 4: ent_num must be a positive whole number, not 'abc'" in p for p in problems)
    assert list(SanctionsList.objects.values_list("id", "active")) == [(first.pk, True)]
    assert SanctionsEntry.objects.count() == 3


def test_an_alias_of_an_unknown_entry_is_refused(tmp_path):
    with pytest.raises(ListFileError, match=r"alt\.csv line 3: ent_num 99 is not in the entries file"):
        load(tmp_path, alt=ALT_ROWS + '99,3,"aka","NOBODY",-0- \r\n')
    assert not SanctionsList.objects.exists()


def test_reloading_the_same_content_writes_nothing(tmp_path):
    first = load(tmp_path)
    again = load(tmp_path)
    assert not again.created
    assert again.listing.pk == first.listing.pk
    assert SanctionsList.objects.count() == 1
    assert SanctionsEntry.objects.count() == 3
    assert AuditEvent.objects.filter(action="sanctions_list.loaded").count() == 1


def test_a_new_version_becomes_active_and_the_old_one_is_kept_inactive(tmp_path):
    first = load(tmp_path).listing
    second = load(tmp_path, sdn=SDN_ROWS.replace("SEA STAR", "SEA STARLING")).listing
    assert list(SanctionsList.objects.order_by("id").values_list("id", "active")) == [
        (first.pk, False), (second.pk, True)
    ]  # fmt: skip
    assert SanctionsEntry.objects.get(listing=second, ent_num=12).name == "SEA STARLING"


def test_the_command_loads_a_pep_list_and_reports_a_reload(tmp_path):
    out = StringIO()
    args = ["--kind", "pep", "--sdn", DATA / "pep_sdn.csv", "--alt", DATA / "pep_alt.csv"]
    args += ["--add", DATA / "pep_add.csv"]
    call_command("load_sanctions", *args, stdout=out)
    assert "loaded pep list" in out.getvalue()
    assert "4 entries, 6 names" in out.getvalue()
    call_command("load_sanctions", *args, stdout=out)
    assert "nothing changed" in out.getvalue()
    assert SanctionsList.objects.get(kind="pep", active=True).entries == 4


def test_the_command_names_file_and_line_of_a_bad_row():
    with pytest.raises(CommandError, match=r"(?s)nothing was loaded.*pep_broken_alt\.csv line 2: ent_num 99"):
        call_command(
            "load_sanctions", "--kind", "pep", "--sdn", DATA / "pep_sdn.csv", "--alt", DATA / "pep_broken_alt.csv"
        )
    assert not SanctionsList.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "sdn.csv"
    path.write_bytes(SDN_ROWS.replace("\x1a", "").encode() + '13,"M\xdcLLER, Hans","individual"'.encode("latin-1"))
    with pytest.raises(ListFileError, match=r"sdn\.csv line 4: not UTF-8 text"):
        sanctions_list_load(kind="sanctions", sdn_path=path)


def test_screening_finds_nothing_when_no_list_is_loaded():
    from compliance.screening import name_screen

    assert name_screen(name="Naser Maleki") == []


def test_a_name_without_letters_is_refused(tmp_path):
    with pytest.raises(ListFileError, match=r"sdn\.csv line 4: the name has no letters"):
        load(
            tmp_path, sdn=SDN_ROWS.replace("\x1a", "") + '13,"--",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
        )


def test_staff_browse_and_search_loaded_lists_in_the_admin(tmp_path, admin_client):
    listing = load(tmp_path).listing
    page = admin_client.get("/admin/compliance/sanctionslist/")
    assert page.status_code == 200
    assert listing.content_hash[:12] in page.content.decode()
    found = admin_client.get("/admin/compliance/sanctionsentry/", {"q": "wayland"})
    assert found.status_code == 200
    assert "SMITHERS, Waylon" in found.content.decode()
    assert "ACME TRADING" not in found.content.decode()
    by_number = admin_client.get("/admin/compliance/sanctionsentry/", {"q": "11"})
    assert "ACME TRADING" in by_number.content.decode()
    entry = SanctionsEntry.objects.get(ent_num=10)
    detail = admin_client.get(f"/admin/compliance/sanctionsentry/{entry.pk}/change/")
    assert detail.status_code == 200
    assert "SMITHERS, Wayland" in detail.content.decode()
    assert admin_client.get("/admin/compliance/sanctionsentry/add/").status_code == 403
