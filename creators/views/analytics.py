from django.http import Http404


def video_list(request, *args, **kwargs):
    raise Http404("Not built yet.")


def video_detail(request, *args, **kwargs):
    raise Http404("Not built yet.")
