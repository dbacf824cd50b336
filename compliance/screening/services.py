"""Writes for screening lists: loading a new version of the sanctions or PEP list."""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from compliance.audit import audit
from compliance.models import SanctionsEntry, SanctionsList, SanctionsName

from . import screening_index_forget
from .normalize import NORMALIZATION_VERSION, name_normalize
from .ofac import ListFileError, list_file_read, list_parse

logger = logging.getLogger(__name__)

BATCH = 2_000

__all__ = ["ListFileError", "SanctionsLoadResult", "sanctions_list_load"]


@dataclass(frozen=True)
class SanctionsLoadResult:
    listing: SanctionsList
    created: bool  # False: the active list already had this content, nothing was written
    entries: int
    names: int
    replaced: SanctionsList | None  # the version that was active before, now inactive
    unmapped_countries: tuple[str, ...]


def _content_hash(kind: str, files: list[tuple[str, bytes] | None]) -> str:
    digest = hashlib.sha256(f"{kind}\0normalization-{NORMALIZATION_VERSION}\0".encode())
    for part in files:
        data = part[1] if part else b""
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def sanctions_list_load(
    *, kind: str, sdn_path: Path, alt_path: Path | None = None, add_path: Path | None = None, source: str = ""
) -> SanctionsLoadResult:
    """Validate the files, then store them as the new active list of ``kind`` in one transaction.

    Loading the content that is already active writes nothing. A file with any bad row raises
    ListFileError (file and line of each problem) before anything is written. The version that was
    active stays in the database, inactive, because earlier screening results point at its entries.
    """
    if kind not in SanctionsList.Kind.values:
        raise ValueError(f"unknown list kind {kind!r}; expected one of {', '.join(SanctionsList.Kind.values)}")
    sdn = list_file_read(sdn_path)
    alt = list_file_read(alt_path) if alt_path else None
    add = list_file_read(add_path) if add_path else None
    content_hash = _content_hash(kind, [sdn, alt, add])
    with transaction.atomic():
        # Locking the active row serialises two loads of the same kind.
        current = SanctionsList.objects.select_for_update().filter(kind=kind, active=True).first()
        if current is not None and current.content_hash == content_hash:
            names = SanctionsName.objects.filter(entry__listing=current).count()
            return SanctionsLoadResult(current, False, current.entries, names, None, ())
        parsed = list_parse(sdn=sdn, alt=alt, add=add)
        source = source or ", ".join(str(p) for p in (sdn_path, alt_path, add_path) if p)
        listing = SanctionsList.objects.create(
            kind=kind, source=source[:255], content_hash=content_hash, entries=len(parsed.parties), active=False
        )
        entries = SanctionsEntry.objects.bulk_create(
            (
                SanctionsEntry(
                    listing=listing,
                    ent_num=p.ent_num,
                    name=p.name,
                    party_type=p.party_type,
                    programs=p.programs,
                    remarks=p.remarks,
                    countries=sorted(p.countries),
                )
                for p in parsed.parties.values()
            ),
            batch_size=BATCH,
        )
        entry_ids = {e.ent_num: e.pk for e in entries}
        if None in entry_ids.values():  # a backend that cannot return ids from a bulk insert
            entry_ids = dict(SanctionsEntry.objects.filter(listing=listing).values_list("ent_num", "id"))
        names = []
        for party in parsed.parties.values():
            individual = party.party_type == SanctionsEntry.PartyType.INDIVIDUAL
            for kind_, text in ((SanctionsName.Kind.PRIMARY, party.name), *((a.kind, a.name) for a in party.aliases)):
                normal = name_normalize(text, individual=individual)
                names.append(
                    SanctionsName(
                        entry_id=entry_ids[party.ent_num],
                        kind=kind_,
                        name=text,
                        normalized=normal.normalized[:512],
                        tokens=list(normal.tokens),
                        blocking_keys=list(normal.blocking_keys),
                    )
                )
        SanctionsName.objects.bulk_create(names, batch_size=BATCH)
        if current is not None:
            SanctionsList.objects.filter(pk=current.pk, active=True).update(active=False)
        SanctionsList.objects.filter(pk=listing.pk).update(active=True)
        listing.active = True
        audit(
            actor=None,
            action="sanctions_list.loaded",
            instance=listing,
            before={"active_list": current.pk if current else None},
            after={"kind": kind, "entries": len(parsed.parties), "names": len(names), "content_hash": content_hash,
                   "source": listing.source},
            reason="load_sanctions",
        )  # fmt: skip
        # Now for this process (harmless if the load rolls back), and again once others can see it.
        screening_index_forget()
        transaction.on_commit(screening_index_forget)
    logger.info(
        "sanctions list loaded", extra={"kind": kind, "list_id": listing.pk, "entries": len(parsed.parties),
                                        "names": len(names)},
    )  # fmt: skip
    return SanctionsLoadResult(listing, True, len(parsed.parties), len(names), current,
                               tuple(sorted(parsed.unmapped_countries)))  # fmt: skip
