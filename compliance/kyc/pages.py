from django.http import Http404


def kyc_page(request, *args, **kwargs):
    raise Http404("Not built yet.")
