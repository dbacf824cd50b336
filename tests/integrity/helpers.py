import uuid
from datetime import UTC, datetime, timedelta

from integrity.models import ViewerEvent
from integrity.network import network_origin

DAY = datetime(2026, 11, 10, tzinfo=UTC)
RESIDENTIAL = "81.2.69.160"


def add_events(specs: list[dict]) -> list[ViewerEvent]:
    """Events from compact specs: user, video, at (seconds after DAY), and optional fields."""
    events = []
    for spec in specs:
        ip = spec.get("ip", RESIDENTIAL)
        origin = network_origin(ip)
        kind = spec.get("type", "view")
        events.append(
            ViewerEvent(
                event_uuid=uuid.uuid4(),
                video=spec["video"],
                user=spec["user"],
                event_type=kind,
                occurred_at=DAY + timedelta(seconds=spec["at"]),
                device_id=spec.get("device", f"dev-{spec['user'].pk}"),
                session_id=spec.get("session", uuid.uuid4().hex[:16]),
                watch_time_ms=spec.get("watch", 15_000) if kind == "view" else None,
                ip_hash=origin.ip_hash,
                ip_prefix_hash=origin.ip_prefix_hash,
                country="GB",
                is_hosting_network=origin.is_hosting_network,
                user_agent=spec.get("agent", "ValueTok/38.2.1 (iPhone15,2; iOS 18.1; Scale/3.00)"),
            )
        )
    return ViewerEvent.objects.bulk_create(events)
