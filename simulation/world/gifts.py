"""Gift traffic for the AML engine: organic gifting plus planted laundering, with ground truth.

Like the rest of the generator this is pure computation from one seeded PRNG (same seed and
knobs, same gifts); ``write_gift_accounts`` persists the accounts, creator profiles and labels.
The gifts themselves are not written here: ``manage.py aml_eval`` replays them, in time order,
through the decision engine, which is what stores gift requests.

Planted typologies (after IBM's AMLSim), each labelled per account with its scenario name:

- ``gift_circle``: rings of 2 to 4 creator accounts passing a few hundred dollars round and round.
- ``gift_smurfing``: new accounts sending many gifts just under $100, alone or as a group.
- ``gift_layering``: funders pay a creator account that sends most of it on within the hour,
  through a chain of creator accounts to a beneficiary.
- ``gift_mule``: one creator account collects many small gifts from fresh accounts in a day and
  passes the total on to a beneficiary.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from .config import DAY_MS, DEFAULT_END_DATE, GENERATOR_VERSION, HOUR_MS
from .population import COUNTRY_CODES, COUNTRY_WEIGHTS, RESIDENTIAL_OCTETS

MINUTE_MS = 60_000
TYPOLOGIES = ("gift_circle", "gift_smurfing", "gift_layering", "gift_mule")
ORGANIC_AMOUNTS = np.array([100, 200, 300, 500, 1_000, 2_000, 5_000, 10_000])
ORGANIC_WEIGHTS = np.array([0.30, 0.22, 0.12, 0.18, 0.10, 0.05, 0.025, 0.005])


@dataclass(frozen=True)
class GiftWorldConfig:
    seed: int = 42
    viewers: int = 600
    creators: int = 40
    days: int = 7
    organic_gifts: int = 4_000
    end_date: date = DEFAULT_END_DATE
    circles: int = 6
    smurf_groups: int = 4
    layering_chains: int = 3
    mules: int = 2

    def __post_init__(self) -> None:
        if self.viewers < 50 or self.creators < 10 or not 2 <= self.days <= 60 or self.organic_gifts < 100:
            raise ValueError("need at least 50 viewers, 10 creators, 100 organic gifts and 2 to 60 days")

    def digest(self) -> str:
        params = {**asdict(self), "end_date": self.end_date.isoformat(), "kind": "gifts", "version": GENERATOR_VERSION}
        return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()

    @property
    def end_ms(self) -> int:
        return int(datetime(self.end_date.year, self.end_date.month, self.end_date.day, tzinfo=UTC).timestamp() * 1000)

    @property
    def start_ms(self) -> int:
        return self.end_ms - self.days * DAY_MS


@dataclass
class Account:
    email: str
    joined_ms: int
    country: str
    device: str
    ip: str
    kind: str  # viewer, creator, or the scenario that made it


@dataclass
class Gift:
    ts_ms: int
    sender: int  # account index
    receiver: int  # creator index
    amount_cents: int
    device: str
    ip: str
    country: str
    scenario: str | None = None


@dataclass
class GiftWorld:
    config: GiftWorldConfig
    accounts: list[Account] = field(default_factory=list)
    creators: list[tuple[str, int]] = field(default_factory=list)  # (handle, owner account index)
    gifts: list[Gift] = field(default_factory=list)
    labels: list[tuple[str, str, str, str]] = field(default_factory=list)  # scenario, entity type, key, role

    @property
    def tag(self) -> str:
        """A short mark of this world in every email, handle and idempotency key it makes."""
        return self.config.digest()[:6]

    def key_of(self, n: int) -> str:
        return f"sim-{self.tag}-{n:07d}"


class _Builder:
    def __init__(self, config: GiftWorldConfig):
        self.config = config
        self.world = GiftWorld(config)
        self.rng = np.random.default_rng([int(config.digest()[i : i + 8], 16) for i in range(0, 64, 8)])

    # --- building blocks ------------------------------------------------------------------------
    def ip(self, prefix: str | None = None) -> str:
        if prefix is None:
            first = RESIDENTIAL_OCTETS[int(self.rng.integers(len(RESIDENTIAL_OCTETS)))]
            prefix = f"{first}.{int(self.rng.integers(256))}.{int(self.rng.integers(256))}"
        return f"{prefix}.{int(self.rng.integers(1, 255))}"

    def device(self) -> str:
        return f"{int(self.rng.integers(1 << 62)):016x}"

    def account(self, kind: str, *, age_days: float, country: str | None = None, device: str | None = None,
                ip: str | None = None) -> int:  # fmt: skip
        world, n = self.world, len(self.world.accounts)
        country = country or COUNTRY_CODES[int(self.rng.choice(len(COUNTRY_CODES), p=COUNTRY_WEIGHTS))]
        joined = self.config.start_ms - int(age_days * DAY_MS)
        world.accounts.append(Account(f"{kind.replace('_', '.')}{n}.{world.tag}@gifts.example.com", joined, country,
                                      device or self.device(), ip or self.ip(), kind))  # fmt: skip
        return n

    def creator(self, kind: str, *, age_days: float) -> int:
        owner = self.account(kind, age_days=age_days)
        self.world.creators.append((f"g{self.world.tag}_{len(self.world.creators):04d}", owner))
        return len(self.world.creators) - 1

    def owner(self, creator: int) -> int:
        return self.world.creators[creator][1]

    def gift(self, ts_ms: int, sender: int, receiver: int, amount: int, scenario: str | None, *,
             device: str | None = None, ip: str | None = None, country: str | None = None) -> None:  # fmt: skip
        a = self.world.accounts[sender]
        ts_ms = int(min(max(ts_ms, self.config.start_ms), self.config.end_ms - 1))
        self.world.gifts.append(Gift(ts_ms, sender, receiver, int(amount), device or a.device, ip or a.ip,
                                     country or a.country, scenario))  # fmt: skip

    def label_accounts(self, scenario: str, accounts, role: str = "actor") -> None:
        for n in accounts:
            self.world.labels.append((scenario, "user", self.world.accounts[n].email, role))

    def label_creators(self, scenario: str, creators, role: str) -> None:
        for c in creators:
            self.world.labels.append((scenario, "creator", self.world.creators[c][0], role))
            self.world.labels.append((scenario, "user", self.world.accounts[self.owner(c)].email, role))

    def when(self, *, margin_ms: int = 12 * HOUR_MS) -> int:
        return int(self.rng.integers(self.config.start_ms + HOUR_MS, self.config.end_ms - margin_ms))

    # --- organic traffic ------------------------------------------------------------------------
    def organic(self) -> None:
        cfg, rng = self.config, self.rng
        creators = [self.creator("creator", age_days=float(rng.uniform(100, 900))) for _ in range(cfg.creators)]
        popularity = 1 / np.arange(1, len(creators) + 1) ** 0.8
        popularity /= popularity.sum()
        viewers = [self.account("viewer", age_days=float(rng.exponential(250)) if rng.random() > 0.05
                                else float(rng.uniform(0, 6))) for _ in range(cfg.viewers)]  # fmt: skip
        # A few households and offices: several viewers behind one network prefix.
        for household in range(cfg.viewers // 40):
            prefix = self.ip().rsplit(".", 1)[0]
            for v in viewers[household * 40 : household * 40 + 3]:
                self.world.accounts[v].ip = self.ip(prefix)
        favourites = {v: rng.choice(creators, size=int(rng.integers(1, 4)), replace=False, p=popularity).tolist()
                      for v in viewers}  # fmt: skip
        activity = rng.pareto(1.5, size=len(viewers)) + 0.2
        activity /= activity.sum()
        senders = rng.choice(len(viewers), size=cfg.organic_gifts, p=activity)
        amounts = rng.choice(ORGANIC_AMOUNTS, size=cfg.organic_gifts, p=ORGANIC_WEIGHTS)
        times = rng.integers(cfg.start_ms, cfg.end_ms, size=cfg.organic_gifts)
        for s, amount, ts in zip(senders.tolist(), amounts.tolist(), times.tolist(), strict=True):
            viewer = viewers[s]
            receiver = int(rng.choice(favourites[viewer])) if rng.random() < 0.9 else int(
                rng.choice(creators, p=popularity))  # fmt: skip
            roaming = rng.random() < 0.01  # on holiday: another country, another network
            self.gift(ts, viewer, receiver, amount, None,
                      country=COUNTRY_CODES[int(rng.integers(len(COUNTRY_CODES)))] if roaming else None,
                      ip=self.ip() if roaming else None)  # fmt: skip
        # Creators support each other now and then, in small amounts.
        for _ in range(cfg.organic_gifts // 100):
            a, b = rng.choice(creators, size=2, replace=False).tolist()
            self.gift(int(rng.integers(cfg.start_ms, cfg.end_ms)), self.owner(a), b, int(rng.choice([200, 500, 1_000])),
                      None)  # fmt: skip

    # --- planted typologies ---------------------------------------------------------------------
    def circles(self) -> None:
        name, rng = "gift_circle", self.rng
        for ring_n in range(self.config.circles):
            length = 2 + ring_n % 3
            ring = [self.creator(name, age_days=float(rng.uniform(20, 200))) for _ in range(length)]
            start = self.when(margin_ms=2 * DAY_MS)
            amount = int(rng.integers(150, 400)) * 100
            ts = start
            for _round in range(2):
                for i, c in enumerate(ring):
                    target = ring[(i + 1) % length]
                    ts += int(rng.integers(20, 180)) * MINUTE_MS
                    self.gift(ts, self.owner(c), target, amount - int(rng.integers(0, 500)), name)
            self.label_creators(name, ring, "actor")

    def smurfing(self) -> None:
        name, rng = "gift_smurfing", self.rng
        for group_n in range(self.config.smurf_groups):
            beneficiary = self.creator(name, age_days=float(rng.uniform(30, 300)))
            self.label_creators(name, [beneficiary], "beneficiary")
            start = self.when()
            if group_n % 2 == 0:  # one account, many pieces just under $100
                smurf = self.account(name, age_days=float(rng.uniform(0, 20)))
                for k in range(int(rng.integers(4, 7))):
                    self.gift(start + k * int(rng.integers(20, 90)) * MINUTE_MS, smurf, beneficiary,
                              int(rng.integers(9_000, 9_999)), name)  # fmt: skip
                self.label_accounts(name, [smurf])
            else:  # a crew of fresh accounts on two phones, each sending one or two pieces
                phones = [self.device() for _ in range(2)]
                crew = [self.account(name, age_days=float(rng.uniform(0, 5)), device=phones[i % 2])
                        for i in range(int(rng.integers(8, 13)))]  # fmt: skip
                for i, smurf in enumerate(crew):
                    for k in range(1 + i % 2):
                        self.gift(start + (i * 2 + k) * int(rng.integers(5, 30)) * MINUTE_MS, smurf, beneficiary,
                                  int(rng.integers(9_000, 9_999)), name)  # fmt: skip
                self.label_accounts(name, crew)

    def layering(self) -> None:
        name, rng = "gift_layering", self.rng
        for _ in range(self.config.layering_chains):
            hops = [self.creator(name, age_days=float(rng.uniform(10, 120))) for _ in range(int(rng.integers(2, 4)))]
            beneficiary = self.creator(name, age_days=float(rng.uniform(30, 300)))
            funders = [self.account(name, age_days=float(rng.uniform(30, 400))) for _ in range(3)]
            ts = self.when(margin_ms=DAY_MS)
            total = 0
            for f in funders:
                amount = int(rng.integers(120, 300)) * 100
                ts += int(rng.integers(5, 40)) * MINUTE_MS
                self.gift(ts, f, hops[0], amount, name)
                total += amount
            for i, hop in enumerate(hops):
                target = hops[i + 1] if i + 1 < len(hops) else beneficiary
                forward = int(total * rng.uniform(0.85, 0.95))
                pieces = 2
                for k in range(pieces):
                    ts += int(rng.integers(10, 60)) * MINUTE_MS
                    piece = forward // pieces + (forward % pieces if k == 0 else 0)
                    self.gift(ts, self.owner(hop), target, piece, name)
                total = forward
            self.label_accounts(name, funders)
            self.label_creators(name, hops, "actor")
            self.label_creators(name, [beneficiary], "beneficiary")

    def mules(self) -> None:
        name, rng = "gift_mule", self.rng
        for _ in range(self.config.mules):
            mule = self.creator(name, age_days=float(rng.uniform(5, 60)))
            beneficiary = self.creator(name, age_days=float(rng.uniform(30, 300)))
            prefix = self.ip().rsplit(".", 1)[0]
            senders = [self.account(name, age_days=float(rng.uniform(0, 4)), ip=self.ip(prefix))
                       for _ in range(int(rng.integers(15, 26)))]  # fmt: skip
            ts = self.when(margin_ms=DAY_MS)
            total = 0
            for s in senders:
                amount = int(rng.integers(40, 95)) * 100
                ts += int(rng.integers(3, 30)) * MINUTE_MS
                self.gift(ts, s, mule, amount, name)
                total += amount
            ts += int(rng.integers(30, 120)) * MINUTE_MS
            forward = int(total * 0.9)
            for k in range(3):
                self.gift(ts + k * 20 * MINUTE_MS, self.owner(mule), beneficiary, forward // 3, name)
            self.label_accounts(name, senders)
            self.label_creators(name, [mule], "actor")
            self.label_creators(name, [beneficiary], "beneficiary")


def build_gift_world(config: GiftWorldConfig) -> GiftWorld:
    """Organic gifting and the planted typologies, gifts in time order. The order of steps is part of the output."""
    builder = _Builder(config)
    builder.organic()
    builder.circles()
    builder.smurfing()
    builder.layering()
    builder.mules()
    builder.world.gifts.sort(key=lambda g: g.ts_ms)
    return builder.world


def write_gift_accounts(world: GiftWorld) -> dict[str, int]:
    """Accounts, creator profiles and ground-truth labels; idempotent (natural keys, conflicts ignored)."""
    import uuid

    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import transaction
    from django.utils import timezone

    from creators.models import CreatorProfile, User
    from simulation.models import GroundTruthLabel, SimulationRun
    from valuetok.bulk import insert_ignoring_conflicts

    from .writer import id_map

    def moment(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)

    config = world.config
    with transaction.atomic():
        run, _ = SimulationRun.objects.get_or_create(
            params_digest=config.digest(),
            defaults={"seed": config.seed, "params": {**asdict(config), "end_date": config.end_date.isoformat(),
                                                      "kind": "gifts"}, "generator_version": GENERATOR_VERSION},
        )  # fmt: skip
        insert_ignoring_conflicts(
            User,
            ["public_id", "email", "password", "first_name", "last_name", "phone_number", "country", "date_joined",
             "is_staff", "is_superuser", "is_active"],
            ((uuid.UUID(hashlib.md5(a.email.encode()).hexdigest()), a.email, f"{UNUSABLE_PASSWORD_PREFIX}g{n:x}", "",  # noqa: S324 - an id, not security
              "", "", a.country, moment(a.joined_ms), False, False, True) for n, a in enumerate(world.accounts)),
        )  # fmt: skip
        users = id_map(User, "email", [a.email for a in world.accounts])
        insert_ignoring_conflicts(
            CreatorProfile,
            ["user", "handle", "display_name", "bio", "country", "follower_count", "created_at"],
            ((users[world.accounts[owner].email], handle, handle, "", world.accounts[owner].country, 0,
              moment(world.accounts[owner].joined_ms)) for handle, owner in world.creators),
        )  # fmt: skip
        insert_ignoring_conflicts(
            GroundTruthLabel, ["run", "scenario", "entity_type", "entity_key", "role"],
            sorted({(run.pk, *label) for label in world.labels}),
        )  # fmt: skip
        SimulationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts={
            "accounts": len(world.accounts), "creators": len(world.creators), "gifts": len(world.gifts),
            "labels": len(world.labels)})  # fmt: skip
    return {"accounts": len(world.accounts), "creators": len(world.creators), "labels": len(world.labels)}
