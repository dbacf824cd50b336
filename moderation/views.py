"""Creator pages: the flags on my content, and a flag's detail with its one appeal.

A creator sees only the flags on their own content; anyone else's flag is 404 (whether it exists
is not theirs to know). The appeal form is CSRF-protected and validated; the service (and a unique
constraint in the database) allows one appeal per flag.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from creators.access import creator_required
from moderation.forms import AppealForm
from moderation.selectors import flag_for_creator, flags_for_creator
from moderation.services import APPEALABLE, AppealRefused, appeal_create


@creator_required
def my_flags(request: HttpRequest) -> HttpResponse:
    flags = flags_for_creator(user=request.user)
    return render(request, "moderation/my_flags.html", {"flags": flags})


@creator_required
@require_http_methods(["GET", "POST"])
def flag_detail(request: HttpRequest, public_id) -> HttpResponse:
    flag = flag_for_creator(user=request.user, public_id=public_id)
    if flag is None:
        raise Http404("No such flag.")
    appeal = getattr(flag, "appeal", None)
    can_appeal = appeal is None and flag.status in APPEALABLE
    form = AppealForm(request.POST or None) if can_appeal else None
    if request.method == "POST":
        if not can_appeal:
            messages.error(request, "This flag cannot be appealed (again).")
            return redirect("moderation:flag-detail", public_id=flag.public_id)
        if form.is_valid():
            try:
                appeal_create(flag=flag, appellant=request.user, statement=form.cleaned_data["statement"])
            except AppealRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your appeal was sent. We will tell you the outcome here.")
                return redirect("moderation:flag-detail", public_id=flag.public_id)
    context = {"flag": flag, "appeal": appeal, "form": form, "evaluation": flag.evaluation}
    return render(request, "moderation/flag_detail.html", context, status=400 if form and form.errors else 200)
