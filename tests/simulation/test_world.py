"""The generator as a pure function: same knobs, same world; and the fraud it plants looks as claimed."""

import hashlib
from collections import Counter, defaultdict
from datetime import date

import numpy as np
import phonenumbers
import pytest

from integrity.network import network_origin, network_prefix
from simulation.world import WorldConfig, build_world
from simulation.world.core import EVENT_TYPES, LIKE, REPORT, VIEW
from simulation.world.scenarios import REGISTRY

SMALL = WorldConfig(seed=7, creators=16, viewers=400, days=7, events=12_000)


@pytest.fixture(scope="module")
def world():
    return build_world(SMALL)


def fingerprint(world) -> str:
    events = world.merged_events
    digest = hashlib.sha256()
    for name in (
        "video",
        "user",
        "event_type",
        "ts_ms",
        "device",
        "session",
        "watch_ms",
        "ip",
        "scenario_code",
        "uuid_bytes",
    ):
        digest.update(np.ascontiguousarray(getattr(events, name)).tobytes())
    digest.update(
        repr(
            (
                world.users,
                world.creators,
                world.videos,
                world.ips,
                world.device_ids,
                sorted(world.follows.items()),
                world.labels,
            )
        ).encode()
    )
    return digest.hexdigest()


def scenario_events(world, name: str) -> np.ndarray:
    events = world.merged_events
    return np.flatnonzero(events.scenario_code == world.scenario_names.index(name))


def test_the_same_seed_and_knobs_give_the_same_world(world):
    assert fingerprint(build_world(SMALL)) == fingerprint(world)


@pytest.mark.parametrize("change", [{"seed": 8}, {"events": 12_001}, {"end_date": date(2026, 10, 1)}])
def test_another_seed_or_knob_gives_another_world(world, change):
    other = WorldConfig(**{**SMALL.as_params(), "end_date": SMALL.end_date, "scenarios": (), **change})
    assert fingerprint(build_world(other)) != fingerprint(world)


def test_exactly_the_requested_number_of_events(world):
    assert len(world.merged_events) == SMALL.events


def test_events_fall_in_the_window_after_their_video_was_uploaded(world):
    events = world.merged_events
    created = np.asarray(world.videos.created_ms)[events.video]
    assert (events.ts_ms >= SMALL.start_ms).all()
    assert (events.ts_ms < SMALL.end_ms).all()
    assert (events.ts_ms >= created).all()
    assert (np.diff(events.ts_ms) >= 0).all()  # stored in time order


def test_event_uuids_are_unique_version_7_and_time_ordered(world):
    raw = world.merged_events.uuid_bytes
    assert len({bytes(r) for r in raw}) == len(raw)
    assert ((raw[:, 6] >> 4) == 7).all()
    assert ((raw[:, 8] >> 6) == 2).all()
    millis = (raw[:, :6].astype(np.uint64) << np.arange(40, -1, -8, dtype=np.uint64)).sum(axis=1)
    assert (millis == world.merged_events.ts_ms.astype(np.uint64)).all()


def test_watch_time_only_on_views(world):
    events = world.merged_events
    assert (events.watch_ms[events.event_type == VIEW] > 0).all()
    assert (events.watch_ms[events.event_type != VIEW] == -1).all()


def test_video_popularity_is_heavy_tailed(world):
    organic = world.merged_events.scenario_code == -1
    views = Counter(world.merged_events.video[organic & (world.merged_events.event_type == VIEW)].tolist())
    counts = sorted(views.values(), reverse=True)
    top_decile = sum(counts[: max(1, len(counts) // 10)])
    assert top_decile / sum(counts) > 0.35  # a few videos take a large share, as on real platforms


def test_activity_follows_a_daily_cycle(world):
    events = world.merged_events
    organic = events.scenario_code == -1
    offsets = np.array(
        [
            {
                "US": -5,
                "IN": 5,
                "BR": -3,
                "GB": 0,
                "DE": 1,
                "MX": -6,
                "FR": 1,
                "PH": 8,
                "NG": 1,
                "ES": 1,
                "CA": -5,
                "JP": 9,
            }[world.users.country[u]]
            for u in events.user[organic]
        ]
    )
    local_hour = ((events.ts_ms[organic] // 3_600_000) + offsets) % 24
    by_hour = np.bincount(local_hour.astype(int), minlength=24)
    assert by_hour[19:23].sum() > 4 * by_hour[2:6].sum()


def test_households_and_mobile_carriers_share_addresses(world):
    events = world.merged_events
    organic = events.scenario_code == -1
    users_per_ip = defaultdict(set)
    for user, ip in zip(events.user[organic].tolist(), events.ip[organic].tolist(), strict=True):
        users_per_ip[ip].add(user)
    shared = [len(u) for u in users_per_ip.values() if len(u) > 1]
    assert len(shared) > 20
    assert max(shared) >= 5  # a carrier's NAT address


def test_people_look_real_with_valid_e164_phones_and_iso_dates(world):
    assert len(set(world.users.email)) == len(world.users)
    for phone in [p for p in world.users.phone if p][:300]:
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone
    assert all(world.users.first_name)
    assert all(world.users.last_name)


def test_every_registered_scenario_is_planted_and_labelled(world):
    assert set(world.scenario_names) == set(REGISTRY)
    labelled = {(label.scenario, label.entity_type) for label in world.labels}
    for name in REGISTRY:
        assert len(scenario_events(world, name)) > 0
        assert (name, "user") in labelled


def test_the_demo_creator_is_never_part_of_the_fraud(world):
    assert 0 not in world.claimed_creators
    assert "demo_creator" not in {label.entity_key for label in world.labels if label.entity_type == "creator"}


def test_bot_farm_is_hundreds_of_accounts_on_few_devices_and_data_centre_ips_on_a_metronome(world):
    idx = scenario_events(world, "bot_farm")
    events = world.merged_events
    views = idx[events.event_type[idx] == VIEW]
    assert len(set(events.user[idx].tolist())) >= 100
    assert len(set(events.device[idx].tolist())) <= 6
    assert all(network_origin(world.ips[i]).is_hosting_network for i in set(events.ip[idx].tolist()))
    gaps = np.diff(np.sort(events.ts_ms[views]))
    assert np.std(gaps) < 50
    assert np.median(gaps) >= 2_000
    assert len(set(events.watch_ms[views].tolist())) == 1


def test_like_ring_members_like_the_same_videos_within_seconds(world):
    idx = scenario_events(world, "like_ring")
    events = world.merged_events
    likes = idx[events.event_type[idx] == LIKE]
    members = set(events.user[likes].tolist())
    by_video = defaultdict(list)
    for video, ts in zip(events.video[likes].tolist(), events.ts_ms[likes].tolist(), strict=True):
        by_video[video].append(ts)
    bursts = [sorted(t) for t in by_video.values()]
    assert any(b[len(members) - 1] - b[0] <= 30_000 for b in bursts)


def test_report_brigade_targets_one_creator_from_new_accounts(world):
    idx = scenario_events(world, "report_brigade")
    events = world.merged_events
    reports = idx[events.event_type[idx] == REPORT]
    creators = {world.videos.creator[v] for v in events.video[reports].tolist()}
    assert len(creators) == 1
    ages = [(SMALL.end_ms - world.users.joined_ms[u]) / 86_400_000 for u in set(events.user[reports].tolist())]
    assert max(ages) <= 11
    assert max(events.ts_ms[reports]) - min(events.ts_ms[reports]) <= 2 * 3_600_000 + 10_000


def test_self_engagement_comes_from_the_creators_own_devices(world):
    idx = scenario_events(world, "self_engagement")
    events = world.merged_events
    for i in idx[:200].tolist():
        owner = world.creators.user[world.videos.creator[events.video[i]]]
        assert events.device[i] in world.user_devices[owner]
        assert events.ip[i] == world.user_home_ip[owner]


def test_view_spike_is_short_views_on_one_video_within_an_hour(world):
    idx = scenario_events(world, "view_spike")
    events = world.merged_events
    assert len(set(events.video[idx].tolist())) == 1
    assert events.ts_ms[idx].max() - events.ts_ms[idx].min() < 3_600_000
    assert events.watch_ms[idx].max() < 3_000
    prefixes = {network_prefix(world.ips[i]) for i in set(events.ip[idx].tolist())}
    assert len(prefixes) == 5


def test_fraud_share_is_about_what_was_asked(world):
    fraud = (world.merged_events.scenario_code >= 0).mean()
    assert 0.03 < fraud < 0.12


def test_a_subset_of_scenarios_can_be_chosen():
    only = build_world(WorldConfig(seed=1, creators=12, viewers=100, days=3, events=2_000, scenarios=("like_ring",)))
    assert only.scenario_names == ["like_ring"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"creators": 3}, "creators"),
        ({"viewers": 5}, "viewers"),
        ({"days": 0}, "days"),
        ({"events": 10}, "events"),
        ({"fraud_share": 0.9}, "fraud_share"),
    ],
)
def test_unreasonable_knobs_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        WorldConfig(**change)


def test_unknown_scenarios_are_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        build_world(WorldConfig(scenarios=("gift_circle",)))


def test_event_type_codes_match_the_model():
    from integrity.models import ViewerEvent

    assert set(EVENT_TYPES) == set(ViewerEvent.Type.values)
