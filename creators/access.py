"""Who may open a creator's pages: the creator, signed in, and nobody else.

Anonymous visitors are sent to sign in; a signed-in account without a creator profile (a viewer,
staff, a service account) gets a 404, as does another creator's object: whether it exists is not
theirs to know. One place, so every creator page answers the same way.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from creators.models import CreatorProfile


def creator_or_404(request: HttpRequest) -> CreatorProfile:
    """The signed-in user's creator profile, or 404 (cached on the user: the layout asks again)."""
    try:
        return request.user.creator_profile
    except (AttributeError, CreatorProfile.DoesNotExist):
        raise Http404("Only creators have these pages.") from None


def creator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required, then a creator profile; decided before any input is read."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        creator_or_404(request)
        return view(request, *args, **kwargs)

    return login_required(wrapped)
