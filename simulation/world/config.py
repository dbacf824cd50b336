import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

# Bump when a change to the generator changes what a given seed produces.
GENERATOR_VERSION = "1"

MIN_CREATORS = 12

# A fixed default end date keeps "same seed and knobs, same data" true from one day to the next.
DEFAULT_END_DATE = date(2026, 11, 16)


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 42
    creators: int = 40
    viewers: int = 2_000
    days: int = 14
    events: int = 50_000
    end_date: date = DEFAULT_END_DATE
    # Share of all events that the planted fraud scenarios produce.
    fraud_share: float = 0.06
    scenarios: tuple[str, ...] = field(default=())  # empty: every registered scenario

    def __post_init__(self) -> None:
        problems = []
        if self.creators < MIN_CREATORS:
            problems.append(
                f"creators must be at least {MIN_CREATORS} (the demo creator, and the fraud scenarios' "
                "beneficiaries and target)"
            )
        if self.viewers < 50:
            problems.append("viewers must be at least 50")
        if not 1 <= self.days <= 366:
            problems.append("days must be between 1 and 366")
        if self.events < 1_000:
            problems.append("events must be at least 1000")
        if not 0 <= self.fraud_share <= 0.5:
            problems.append("fraud_share must be between 0 and 0.5")
        if problems:
            raise ValueError("; ".join(problems))

    @cached_property
    def end(self) -> datetime:
        return datetime(self.end_date.year, self.end_date.month, self.end_date.day, tzinfo=UTC)

    @cached_property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    @cached_property
    def start_ms(self) -> int:
        return self.end_ms - self.days * DAY_MS

    def as_params(self) -> dict[str, object]:
        params = asdict(self)
        params["end_date"] = self.end_date.isoformat()
        params["scenarios"] = list(self.scenarios)
        return params

    def digest(self) -> str:
        payload = json.dumps({"version": GENERATOR_VERSION, **self.as_params()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def rng_seed(self) -> list[int]:
        # Every knob feeds the stream: another end date or size is another world, not a shifted copy.
        return [int(self.digest()[i : i + 8], 16) for i in range(0, 64, 8)]


HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
