import json
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from creators.accounts.tokens import api_token_create
from creators.roles import EVENT_PRODUCERS
from integrity.ingest import MAX_BATCH
from integrity.models import ViewerEvent
from tests.factories import UserFactory, VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def producer_client():
    service = UserFactory(email="edge@example.com")
    service.groups.add(Group.objects.get(name=EVENT_PRODUCERS))
    client = APIClient()
    _, key = api_token_create(user=service, name="edge events", created_by=None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def target():
    return VideoFactory(), UserFactory()


def event(target_video, actor, **overrides) -> dict:
    row = {
        "event_uuid": str(uuid.uuid4()),
        "video": str(target_video.public_id),
        "user": str(actor.public_id),
        "event_type": "view",
        "occurred_at": "2026-11-15T18:04:05.123Z",
        "device_id": "5583929b96ada5f6",
        "session_id": "9c1f0e2a77d4b3c1",
        "watch_time_ms": 12_400,
        "ip": "81.2.69.160",
        "country": "GB",
        "user_agent": "ValueTok/38.2.1",
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


def post(client, events):
    return client.post("/api/v1/events/", {"events": events}, format="json")


def test_valid_rows_are_stored_and_invalid_rows_explained(producer_client, target):
    video, user = target
    good = [event(video, user), event(video, user, event_type="like", watch_time_ms=None)]
    bad = [
        event(video, user, event_type="boost"),
        event(video, user, occurred_at="yesterday"),
        event(video, user, ip="999.1.1.1"),
        event(video, user, event_type="like"),  # a like with a watch time
        event(video, user, video=str(uuid.uuid4())),
        "not an object",
    ]
    response = post(producer_client, good[:1] + bad + good[1:])
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == [good[0]["event_uuid"], good[1]["event_uuid"]]
    assert body["duplicates"] == []
    rejected = {r["index"]: r["errors"] for r in body["rejected"]}
    assert set(rejected) == {1, 2, 3, 4, 5, 6}
    assert "event_type" in rejected[1]
    assert "ISO 8601" in rejected[2]["occurred_at"]
    assert "not an IPv4 or IPv6 address" in rejected[3]["ip"]
    assert rejected[4] == {"watch_time_ms": "Only views have a watch time."}
    assert rejected[5] == {"video": "No such video."}
    assert "object" in rejected[6]["non_field_errors"]
    assert ViewerEvent.objects.count() == 2


def test_an_impossible_time_is_a_rejected_row_not_a_server_error(producer_client, target):
    video, user = target
    response = post(producer_client, [event(video, user, occurred_at="2026-11-15T18:60:00Z")])
    assert response.status_code == 200
    assert "ISO 8601" in response.json()["rejected"][0]["errors"]["occurred_at"]
    assert ViewerEvent.objects.count() == 0


def test_the_ip_is_stored_only_as_keyed_hashes(producer_client, target):
    video, user = target
    post(producer_client, [event(video, user, ip="159.65.21.10")])
    stored = ViewerEvent.objects.get()
    assert "159.65" not in json.dumps(next(iter(ViewerEvent.objects.values())), default=str)
    assert stored.is_hosting_network is True
    assert len(stored.ip_hash) == 32


def test_a_resent_batch_adds_nothing(producer_client, target):
    video, user = target
    batch = [event(video, user) for _ in range(3)]
    assert len(post(producer_client, batch).json()["created"]) == 3
    again = post(producer_client, batch).json()
    assert again["created"] == []
    assert again["duplicates"] == [e["event_uuid"] for e in batch]
    assert ViewerEvent.objects.count() == 3


def test_a_uuid_twice_in_one_batch_is_stored_once(producer_client, target):
    video, user = target
    row = event(video, user)
    body = post(producer_client, [row, dict(row)]).json()
    assert body["created"] == [row["event_uuid"]]
    assert body["rejected"] == [{"index": 1, "event_uuid": row["event_uuid"],
                                 "errors": {"event_uuid": "Appears twice in this batch."}}]  # fmt: skip


@pytest.mark.parametrize("body", [[], {"events": "x"}, {"nothing": []}, "text"])
def test_a_malformed_body_is_a_clear_400(producer_client, body):
    response = producer_client.post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_batch"
    assert "events" in response.json()["detail"]


def test_batches_are_capped(producer_client, target):
    video, user = target
    response = post(producer_client, [event(video, user)] * (MAX_BATCH + 1))
    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_large"
    assert "at most 10000" in response.json()["detail"]
    assert ViewerEvent.objects.count() == 0


def test_only_event_producers_may_send_events(target):
    video, user = target
    anonymous = APIClient()
    assert post(anonymous, [event(video, user)]).status_code in (401, 403)
    creator = APIClient()
    creator.force_authenticate(UserFactory())
    response = post(creator, [event(video, user)])
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "Event producers" in response.json()["detail"]


def test_import_command_loads_csv_and_jsonl_with_the_same_rules(tmp_path, target, capsys):
    video, user = target
    rows = [event(video, user), event(video, user, event_type="share", watch_time_ms=None),
            event(video, user, country="gb")]  # fmt: skip
    csv_path = tmp_path / "events.csv"
    header = ["event_uuid", "video", "user", "event_type", "occurred_at", "device_id", "session_id", "watch_time_ms",
              "ip", "country", "user_agent"]  # fmt: skip
    csv_path.write_text(
        ",".join(header) + "\n" + "\n".join(",".join(str(r.get(h, "")) for h in header) for r in rows) + "\n"
    )
    call_command("import_events", str(csv_path), "--quiet")
    out = capsys.readouterr().out
    assert "created 2, already stored 0, rejected 1" in out
    assert "row 3" in out
    assert "country" in out
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n{not json\n")
    errors = tmp_path / "errors.jsonl"
    call_command("import_events", str(jsonl), "--quiet", "--errors", str(errors))
    assert "created 0, already stored 2, rejected 1" in capsys.readouterr().out
    assert "Not valid JSON" in errors.read_text()
    assert ViewerEvent.objects.count() == 2


def test_import_command_refuses_a_file_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="not a file"):
        call_command("import_events", str(tmp_path / "missing.csv"))
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("id,when\n1,2\n")
    with pytest.raises(CommandError, match="lacks column"):
        call_command("import_events", str(bad_header), "--quiet")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_events", str(binary), "--quiet")
