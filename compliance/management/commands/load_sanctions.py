from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.screening.services import ListFileError, sanctions_list_load


class Command(BaseCommand):
    help = (
        "Load a screening list in OFAC's CSV layout (SDN, ALT, ADD files) as the new active list of its kind. "
        "Validates every row first; loading the same content again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", choices=["sanctions", "pep"], default="sanctions")
        parser.add_argument("--sdn", type=Path, required=True, help="Entries: ent_num, name, type, programs, ...")
        parser.add_argument("--alt", type=Path, help="Aliases: ent_num, alt_num, alt_type, alt_name, remarks")
        parser.add_argument("--add", type=Path, help="Addresses: ent_num, add_num, address, city, country, remarks")
        parser.add_argument("--source", default="", help="Where the files came from (default: their paths).")

    def handle(self, *args, **options) -> None:
        for flag in ("sdn", "alt", "add"):
            path = options[flag]
            if path is not None and not path.is_file():
                raise CommandError(f"--{flag} {path} is not a file")
        try:
            result = sanctions_list_load(
                kind=options["kind"], sdn_path=options["sdn"], alt_path=options["alt"], add_path=options["add"],
                source=options["source"],
            )  # fmt: skip
        except ListFileError as exc:
            raise CommandError(f"nothing was loaded; the files have problems:\n{exc}") from exc
        listing = result.listing
        if not result.created:
            self.stdout.write(
                f"{options['kind']} list {listing.pk} already holds this content "
                f"({result.entries} entries, {result.names} names); nothing changed"
            )
            return
        replaced = f", replacing list {result.replaced.pk}" if result.replaced else ""
        self.stdout.write(
            f"loaded {options['kind']} list {listing.pk}: {result.entries} entries, {result.names} names "
            f"(primary and aliases){replaced}"
        )
        if result.unmapped_countries:
            self.stdout.write(f"  countries without an ISO code, not stored: {', '.join(result.unmapped_countries)}")
