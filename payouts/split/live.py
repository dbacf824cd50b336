"""Hook for the rule "a creator's first N live sessions carry no platform fee".

Decision: there is no live-streaming feature and no ``LiveSession`` model yet, and a revenue split
run allocates engagement revenue of videos, not live-session income, so the rule has nothing to
apply to today. Rather than a model with no writer, this module is the one place the rule lives:
``creator_live_sessions_count`` answers 0 for everyone until live sessions exist, and
``live_session_fee_waived`` is what the code that books live-session income (gifts during a live)
must call to decide whether the platform takes its fee. When live sessions arrive, give them a
model and make ``creator_live_sessions_count`` count its rows; nothing else changes.
"""

from django.conf import settings


def creator_live_sessions_count(*, creator) -> int:
    """How many live sessions the creator has held: 0, since live sessions do not exist yet."""
    return 0


def live_session_fee_waived(*, creator, session_number: int | None = None) -> bool:
    """Whether income of the creator's ``session_number``-th live session (1-based; default: their
    next one) carries no platform fee: true for the first PAYOUTS_FREE_LIVE_SESSIONS sessions."""
    if session_number is None:
        session_number = creator_live_sessions_count(creator=creator) + 1
    if session_number < 1:
        raise ValueError("live sessions are numbered from 1")
    return session_number <= settings.PAYOUTS_FREE_LIVE_SESSIONS
