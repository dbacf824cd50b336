import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import ViewerEventFactory

pytestmark = pytest.mark.django_db


def test_an_event_uuid_is_stored_once():
    event = ViewerEventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ViewerEventFactory(event_uuid=event.event_uuid)


def test_watch_time_belongs_to_views_only():
    ViewerEventFactory(event_type="like", watch_time_ms=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ViewerEventFactory(event_type="like", watch_time_ms=5_000)


def test_unknown_event_types_are_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ViewerEventFactory(event_type="boost", watch_time_ms=None, event_uuid=uuid.uuid4())


def test_hosting_networks_are_flagged_at_creation():
    assert ViewerEventFactory(ip="159.65.21.10").is_hosting_network is True
    assert ViewerEventFactory(ip="81.2.69.160").is_hosting_network is False


@pytest.mark.postgres
def test_postgres_has_a_brin_index_on_event_time_and_time_window_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'integrity_viewerevent'")
        indexes = dict(cursor.fetchall())
    assert "USING brin (occurred_at)" in indexes["event_time_brin"]
    assert "(video_id, occurred_at)" in indexes["event_video_time"]
    assert "(user_id, occurred_at)" in indexes["event_user_time"]
