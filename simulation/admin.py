from django.contrib import admin

from .models import GroundTruthLabel, SimulationRun


@admin.register(SimulationRun)
class SimulationRunAdmin(admin.ModelAdmin):
    list_display = ["seed", "params_digest", "generator_version", "started_at", "finished_at"]
    search_fields = ["params_digest"]
    readonly_fields = ["seed", "params", "params_digest", "generator_version", "started_at", "finished_at", "counts"]


@admin.register(GroundTruthLabel)
class GroundTruthLabelAdmin(admin.ModelAdmin):
    list_display = ["scenario", "entity_type", "entity_key", "role", "run"]
    list_filter = ["scenario", "entity_type", "role"]
    search_fields = ["=entity_key"]
    list_select_related = ["run"]
    show_full_result_count = False
