"""The settings a run is computed with, validated and snapshotted onto the run.

A run stores its configuration as JSON when it is computed, so that a later change of settings
never changes what an old run shows or how a clawback re-values it.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from .math import BASIS_POINTS, validate_tiers

ENGAGEMENT_TYPES = ("view", "like", "comment", "share")


class SplitConfigError(ValueError):
    """A payouts setting is malformed."""


def _basis_points(value, name: str, *, allow_one: bool = False) -> int:
    try:
        bp = Decimal(str(value)) * BASIS_POINTS
    except (InvalidOperation, ValueError) as exc:
        raise SplitConfigError(f"{name} must be a number between 0 and 1, got {value!r}") from exc
    if bp != bp.to_integral_value() or not 0 <= bp <= BASIS_POINTS or (bp == BASIS_POINTS and not allow_one):
        raise SplitConfigError(f"{name} must be between 0 and 1 in steps of 0.0001, got {value!r}")
    return int(bp)


@dataclass(frozen=True)
class SplitConfig:
    unit_weights: dict[str, float]
    eis_gamma: float
    unscored_eis: float
    velocity_multiplier: float
    velocity_hours: int
    velocity_min_devices: int
    velocity_min_networks: int
    trust_min: float
    trust_max: float
    likely_bot_trust_below: float
    per_viewer_cap_units_per_day: float
    min_unique_viewers: int
    fee_tiers: list[tuple[int, int]]  # (from_cents, rate in basis points)
    free_live_sessions: int
    min_platform_margin_bp: int
    reserve_rate_bp: int
    reserve_release_days: int
    kyc_caps_cents: dict[str, int | None]  # level as a string (JSON keys) -> cap; None: uncapped

    def cap_for_level(self, level: int) -> int | None:
        key = str(int(level))
        if key not in self.kyc_caps_cents:
            raise SplitConfigError(f"PAYOUTS_KYC_CAPS_CENTS has no entry for KYC level {level}")
        return self.kyc_caps_cents[key]

    def to_json(self) -> dict:
        data = asdict(self)
        data["fee_tiers"] = [list(t) for t in self.fee_tiers]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "SplitConfig":
        data = dict(data)
        data["fee_tiers"] = [tuple(t) for t in data["fee_tiers"]]
        return validated(cls(**data))


def validated(config: SplitConfig) -> SplitConfig:
    weights = config.unit_weights
    if set(weights) != set(ENGAGEMENT_TYPES) or any(float(w) < 0 for w in weights.values()):
        raise SplitConfigError("PAYOUTS_UNIT_WEIGHTS needs non-negative view, like, comment and share weights")
    if config.eis_gamma < 0:
        raise SplitConfigError("PAYOUTS_EIS_GAMMA must be non-negative")
    if not 0 <= config.unscored_eis <= 100:
        raise SplitConfigError("PAYOUTS_UNSCORED_EIS must be between 0 and 100")
    if config.velocity_multiplier < 1 or config.velocity_hours < 1:
        raise SplitConfigError("the velocity multiplier must be at least 1 and its window at least an hour")
    if not 0 < config.trust_min <= config.trust_max:
        raise SplitConfigError("PAYOUTS_TRUST_MIN must be positive and not above PAYOUTS_TRUST_MAX")
    if config.per_viewer_cap_units_per_day <= 0 or config.min_unique_viewers < 0:
        raise SplitConfigError("the per-viewer cap must be positive and the viewer floor non-negative")
    try:
        validate_tiers(config.fee_tiers)
    except ValueError as exc:
        raise SplitConfigError(f"PAYOUTS_FEE_TIERS: {exc}") from exc
    if config.reserve_release_days < 0 or config.free_live_sessions < 0:
        raise SplitConfigError("reserve release days and free live sessions must be non-negative")
    for level, cap in config.kyc_caps_cents.items():
        if level not in {"0", "1", "2", "3"} or (cap is not None and (not isinstance(cap, int) or cap < 0)):
            raise SplitConfigError("PAYOUTS_KYC_CAPS_CENTS maps levels 0-3 to whole cents or null")
    return config


def split_config_from_settings() -> SplitConfig:
    tiers = []
    for row in settings.PAYOUTS_FEE_TIERS:
        if not isinstance(row, list | tuple) or len(row) != 2:
            raise SplitConfigError("PAYOUTS_FEE_TIERS rows are [from_cents, rate]")
        tiers.append((int(row[0]), _basis_points(row[1], "a PAYOUTS_FEE_TIERS rate", allow_one=True)))
    caps = {str(k): (None if v is None else int(v)) for k, v in dict(settings.PAYOUTS_KYC_CAPS_CENTS).items()}
    return validated(
        SplitConfig(
            unit_weights={k: float(v) for k, v in dict(settings.PAYOUTS_UNIT_WEIGHTS).items()},
            eis_gamma=float(settings.PAYOUTS_EIS_GAMMA),
            unscored_eis=float(settings.PAYOUTS_UNSCORED_EIS),
            velocity_multiplier=float(settings.PAYOUTS_VELOCITY_MULTIPLIER),
            velocity_hours=int(settings.PAYOUTS_VELOCITY_HOURS),
            velocity_min_devices=int(settings.PAYOUTS_VELOCITY_MIN_DEVICES),
            velocity_min_networks=int(settings.PAYOUTS_VELOCITY_MIN_NETWORKS),
            trust_min=float(settings.PAYOUTS_TRUST_MIN),
            trust_max=float(settings.PAYOUTS_TRUST_MAX),
            likely_bot_trust_below=float(settings.PAYOUTS_LIKELY_BOT_TRUST_BELOW),
            per_viewer_cap_units_per_day=float(settings.PAYOUTS_PER_VIEWER_CAP_UNITS),
            min_unique_viewers=int(settings.PAYOUTS_MIN_UNIQUE_VIEWERS),
            fee_tiers=tiers,
            free_live_sessions=int(settings.PAYOUTS_FREE_LIVE_SESSIONS),
            min_platform_margin_bp=_basis_points(settings.PAYOUTS_MIN_PLATFORM_MARGIN, "PAYOUTS_MIN_PLATFORM_MARGIN"),
            reserve_rate_bp=_basis_points(settings.PAYOUTS_RESERVE_RATE, "PAYOUTS_RESERVE_RATE"),
            reserve_release_days=int(settings.PAYOUTS_RESERVE_RELEASE_DAYS),
            kyc_caps_cents=caps,
        )
    )
