"""What the data generator did, and the truth about the fraud it planted.

The product never reads these tables to score anything: they exist so that evaluation commands
(integrity_eval, aml_eval) can measure detectors against a known answer.
"""

from django.db import models


class SimulationRun(models.Model):
    """One generated world: its seed and knobs, and what it wrote."""

    seed = models.BigIntegerField()
    params = models.JSONField(help_text="The knobs the world was generated with.")
    params_digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of seed, knobs, version.")
    generator_version = models.CharField(max_length=16)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows generated per kind.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"seed {self.seed} ({self.params_digest[:8]})"


class GroundTruthLabel(models.Model):
    """One planted-fraud fact: this entity took part in this scenario in this role."""

    class EntityType(models.TextChoices):
        USER = "user", "Account (email)"
        CREATOR = "creator", "Creator (handle)"
        VIDEO = "video", "Video (public id)"
        EVENT = "event", "Viewer event (uuid)"
        DEVICE = "device", "Device id"
        NETWORK = "network", "IP prefix hash"

    class Role(models.TextChoices):
        ACTOR = "actor", "Did the fraud"
        BENEFICIARY = "beneficiary", "Was boosted by it"
        TARGET = "target", "Was attacked by it"

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="labels")
    scenario = models.CharField(max_length=40, db_index=True)
    entity_type = models.CharField(max_length=8, choices=EntityType.choices)
    entity_key = models.CharField(max_length=254)
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "scenario", "entity_type", "entity_key", "role"], name="label_unique"
            ),
        ]
        indexes = [models.Index(fields=["entity_type", "entity_key"], name="label_entity")]

    def __str__(self) -> str:
        return f"{self.scenario}: {self.entity_type} {self.entity_key} ({self.role})"
