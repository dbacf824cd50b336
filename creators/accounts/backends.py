"""Sign-in that refuses accounts whose email is not verified yet."""

from django.contrib.auth.backends import ModelBackend

from creators.accounts.services import email_verification_pending


class VerifiedEmailBackend(ModelBackend):
    """Django's model backend, less sign-ups that have not used their verification link.

    Only ``authenticate`` checks it: an unverified account never gets a session, so checking on
    every request (``get_user``) would cost a query for nothing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and email_verification_pending(user=user):
            return None
        return user
