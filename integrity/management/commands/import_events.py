import csv
import json
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrity.ingest import FIELDS, REQUIRED, events_ingest_stream


def _csv_rows(handle) -> Iterator[dict]:
    reader = csv.DictReader(handle)
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise CommandError(f"the CSV header lacks column(s): {', '.join(missing)} (expected {', '.join(FIELDS)})")
    for row in reader:
        clean = {k: v for k, v in row.items() if k is not None and v != ""}
        watch = clean.get("watch_time_ms")
        if watch is not None and watch.strip().isdigit():
            clean["watch_time_ms"] = int(watch)
        yield clean


def _jsonl_rows(handle) -> Iterator[object]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"__invalid_json__": f"line {number}: {exc.msg}"}


class Command(BaseCommand):
    help = "Load viewer events from CSV or JSON Lines, with the API's validation and idempotency."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "jsonl"], help="Default: from the file name.")
        parser.add_argument("--errors", type=Path, help="Write every rejected row and its errors here (JSON Lines).")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        kind = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        total_lines = sum(1 for _ in path.open("rb")) - (1 if kind == "csv" else 0)
        bar = None if options["quiet"] else tqdm(total=max(total_lines, 0), unit="event", desc="importing")
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = _csv_rows(handle) if kind == "csv" else _jsonl_rows(handle)
                result = events_ingest_stream(rows, progress=bar.update if bar else None)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise CommandError(f"{path} is not valid CSV: {exc}") from exc
        finally:
            if bar is not None:
                bar.close()
        if options["errors"]:
            with options["errors"].open("w", encoding="utf-8") as out:
                for error in result.rejected:
                    out.write(json.dumps(error.as_dict()) + "\n")
        self.stdout.write(
            f"created {len(result.created)}, already stored {len(result.duplicates)}, rejected {len(result.rejected)}"
        )
        for error in result.rejected[:10]:
            where = f"row {error.index + 1}" + (f" ({error.event_uuid})" if error.event_uuid else "")
            self.stdout.write(f"  {where}: " + "; ".join(f"{k}: {v}" for k, v in error.errors.items()))
        if len(result.rejected) > 10:
            self.stdout.write(f"  ... and {len(result.rejected) - 10} more" + (
                "" if options["errors"] else " (use --errors FILE for all)"))  # fmt: skip
