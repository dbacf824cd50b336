from django.http import Http404


def upload(request, *args, **kwargs):
    raise Http404("Not built yet.")


def upload_status(request, *args, **kwargs):
    raise Http404("Not built yet.")
