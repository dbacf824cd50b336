import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.screening import LIST_KINDS, name_screen

FIELDS = ["name", "ent_num", "score", "over_line", "matched_name", "list_kind"]


class Command(BaseCommand):
    help = (
        "Screen the names of a CSV file (a 'name' column) against the loaded lists; writes CSV to standard "
        "output: name, ent_num of the best match (or empty), score, over_line, matched_name, list_kind."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--input", type=Path, required=True, help="CSV with a header row holding 'name'.")
        parser.add_argument("--kind", choices=[*LIST_KINDS, "all"], default="sanctions")
        parser.add_argument("--line", type=float, help="Match line for over_line (default: the configured one).")
        parser.add_argument(
            "--party-types", default="all",
            help="Comma-separated party types to screen against (individual, entity, vessel, aircraft) or 'all', "
            "the default: a batch may hold companies as well as people.",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        path: Path = options["input"]
        kinds = LIST_KINDS if options["kind"] == "all" else (options["kind"],)
        line = options["line"]
        if line is not None and not 0.0 <= line <= 1.0:
            raise CommandError("--line must be between 0 and 1")
        party_types = None if options["party_types"] == "all" else tuple(options["party_types"].split(","))
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                names = self._names(handle, path)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise CommandError(f"{path} is not valid CSV: {exc}") from exc
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(FIELDS)
        for name in names:
            matches = name_screen(name=name, kinds=kinds, limit=1, party_types=party_types)
            if not matches:
                writer.writerow([name, "", f"{0:.4f}", "false", "", ""])
                continue
            best = matches[0]
            over = best.over_line if line is None else best.score >= line
            flag = "true" if over else "false"
            writer.writerow([name, best.ent_num, f"{best.score:.4f}", flag, best.matched_name, best.list_kind])

    def _names(self, handle, path: Path) -> list[str]:
        reader = csv.DictReader(handle)
        if "name" not in (reader.fieldnames or []):
            found = ", ".join(reader.fieldnames or []) or "nothing"
            raise CommandError(f"{path} has no 'name' column in its header (found: {found})")
        return [(row.get("name") or "").strip() for row in reader]
