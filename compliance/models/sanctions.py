"""Screening lists (OFAC SDN, politically exposed persons) as loaded into the database."""

from django.db import models


class SanctionsList(models.Model):
    """One loaded version of a list. Loading a new version replaces the entries of the same kind."""

    class Kind(models.TextChoices):
        SANCTIONS = "sanctions", "Sanctions (OFAC SDN)"
        PEP = "pep", "Politically exposed persons"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=255, help_text="Where the loaded files came from.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 over the loaded files.")
    entries = models.PositiveIntegerField(default=0)
    loaded_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=models.Q(active=True), name="one_active_list_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.entries} entries, {self.loaded_at:%Y-%m-%d})"


class SanctionsEntry(models.Model):
    """A listed party: the list's own number, primary name, type, programmes and remarks."""

    class PartyType(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        ENTITY = "entity", "Entity"
        VESSEL = "vessel", "Vessel"
        AIRCRAFT = "aircraft", "Aircraft"

    listing = models.ForeignKey(SanctionsList, on_delete=models.CASCADE, related_name="parties")
    ent_num = models.PositiveIntegerField(help_text="The list's own entry number.")
    name = models.CharField(max_length=512)
    party_type = models.CharField(max_length=16, choices=PartyType.choices)
    programs = models.CharField(max_length=255, blank=True)
    remarks = models.TextField(blank=True)
    countries = models.JSONField(default=list, blank=True, help_text="ISO codes from the entry's addresses.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "ent_num"], name="one_entry_number_per_list")]
        verbose_name_plural = "sanctions entries"

    def __str__(self) -> str:
        return f"{self.ent_num} {self.name}"


class SanctionsName(models.Model):
    """Every name an entry is known by (primary and aliases), normalised for matching.

    ``normalized`` is the name folded to lower-case ASCII letters and spaces with its tokens
    sorted; ``tokens`` and ``blocking_keys`` feed the screening index (see compliance/screening/).
    """

    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary name"
        AKA = "aka", "Also known as"
        FKA = "fka", "Formerly known as"
        NKA = "nka", "Now known as"

    entry = models.ForeignKey(SanctionsEntry, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=512)
    normalized = models.CharField(max_length=512, db_index=True)
    tokens = models.JSONField(default=list)
    blocking_keys = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.name
