from django.http import Http404


def signup(request, *args, **kwargs):
    raise Http404("Not built yet.")


def tokens(request, *args, **kwargs):
    raise Http404("Not built yet.")
