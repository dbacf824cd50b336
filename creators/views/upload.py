"""Creator pages: upload a video, then follow its moderation evaluation until it is done.

Two ways through the same form:

* without JavaScript, a normal multipart POST: ``creators.uploads.video_upload`` validates,
  stores and starts the evaluation, and the browser is sent to the status page, which refreshes
  itself every few seconds while the evaluation runs (``<noscript><meta refresh>``);
* with JavaScript (``static/js/upload.js``), the same form is sent by XMLHttpRequest with
  ``Accept: application/json`` so that the upload's progress can be shown; the answer is JSON
  (201 with the video, its evaluation and where to poll it, or 400 with the API's error body),
  and the script polls ``GET /api/v1/evaluations/<id>`` and updates the page in place.

The service is the only judge of the input: the form here only carries the typed values back.
A creator sees only their own videos' status pages (anyone else's is 404, as is the page for a
signed-in user who is not a creator).
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from creators.access import creator_or_404
from creators.models import Video
from creators.uploads import (
    DESCRIPTION_MAX_LENGTH,
    NON_FIELD,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    VideoUploadError,
    hashtags_split,
    video_upload,
    videos_of_creator,
)
from moderation.models import Evaluation
from moderation.selectors import evaluation_visible_to

# The stages an evaluation goes through, in order, with what the page says about each.
STAGES = (
    (Evaluation.Status.QUEUED, "Queued", "Waiting for a worker to pick it up."),
    (Evaluation.Status.FETCHING, "Fetching", "Reading the media."),
    (Evaluation.Status.TRANSCRIBING, "Transcribing", "Turning the speech into text."),
    (Evaluation.Status.SCORING, "Scoring", "Scoring hate, self-harm and clickbait risk."),
    (Evaluation.Status.DONE, "Done", "The quality score is ready."),
)
STAGE_ORDER = [status for status, _label, _text in STAGES]
# The service speaks the API's field names; the page says what its own form calls them.
PAGE_WORDING = {
    "Give either a file or a source_url, not both and not neither.": "Choose a file or give a link: one of the two."
}
VALIDATION_DETAIL = "The upload was refused; see the errors of each field."


def _mib(size: int) -> str:
    """A size for people: "200 MiB", "1.5 MiB", "9.8 KiB"."""
    if size >= 2**20:
        return f"{size / 2**20:.1f}".removesuffix(".0") + " MiB"
    return f"{size / 2**10:.1f}".removesuffix(".0") + " KiB"


class UploadForm(forms.Form):
    """What the page sends; carries the typed values back when the service refuses them."""

    title = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX_LENGTH, "autocomplete": "off"}),
        help_text=f"Required; up to {TITLE_MAX_LENGTH} characters.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX_LENGTH}),
        help_text=f"Optional; up to {DESCRIPTION_MAX_LENGTH} characters.",
    )
    hashtags = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="Optional; separated by commas or spaces, with or without '#', e.g. dance, #morning_routine.",
    )
    file = forms.FileField(
        required=False,
        allow_empty_file=True,  # the service says why an empty file is refused
        label="Video or audio file",
        widget=forms.ClearableFileInput(attrs={"accept": "video/*,audio/*"}),
    )
    source_url = forms.CharField(
        required=False,
        label="Or a link to the video",
        widget=forms.URLInput(attrs={"maxlength": URL_MAX_LENGTH, "inputmode": "url"}),
        help_text="Instead of a file: an http or https link to the media, which we fetch ourselves.",
    )

    def __init__(self, *args, max_bytes: int, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"MP4, WebM, MOV, MKV, MP3, WAV and other common containers, up to {_mib(max_bytes)}; we check its "
            "content, not its name."
        )
        self.fields["file"].widget.attrs["data-max-bytes"] = str(max_bytes)


def _wants_json(request: HttpRequest) -> bool:
    # The page's script asks for JSON; a browser's own form POST prefers HTML (its Accept ends in */*).
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _validation_error(errors: dict[str, list[str]], status: int = 400) -> JsonResponse:
    # The API's error body (decisions.md): code, one human sentence, the messages by field.
    body = {"code": "validation_error", "detail": VALIDATION_DETAIL, "errors": errors}
    return JsonResponse(body, status=status)


def _page(request: HttpRequest, form: UploadForm, *, status: int = 200) -> HttpResponse:
    max_bytes = settings.VIDEO_MAX_UPLOAD_BYTES
    context = {
        "form": form,
        "max_bytes": max_bytes,
        "max_size": _mib(max_bytes),
        "stages": _stages(Evaluation.Status.QUEUED),  # what the script shows first, once uploaded
        "poll_interval_ms": 1500,
    }
    return render(request, "creators/upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    creator = creator_or_404(request)
    max_bytes = settings.VIDEO_MAX_UPLOAD_BYTES
    if request.method == "GET":
        return _page(request, UploadForm(max_bytes=max_bytes))

    form = UploadForm(request.POST, request.FILES, max_bytes=max_bytes)
    form.is_valid()  # every field is optional text: this only binds the typed values
    data = form.cleaned_data
    try:
        video = video_upload(
            creator=creator,
            title=data.get("title") or "",
            description=data.get("description") or "",
            hashtags=hashtags_split(data.get("hashtags") or ""),
            media_file=request.FILES.get("file"),
            source_url=(data.get("source_url") or "").strip() or None,
        )
    except VideoUploadError as exc:
        errors = {field: [PAGE_WORDING.get(m, m) for m in messages] for field, messages in exc.errors.items()}
        if _wants_json(request):
            return _validation_error(errors)
        for field, messages in errors.items():
            form.add_error(None if field == NON_FIELD or field not in form.fields else field, messages)
        return _page(request, form, status=400)

    if _wants_json(request):
        return JsonResponse(_upload_answer(video), status=201)
    return redirect("portal:upload-status", public_id=video.public_id)


def _upload_answer(video: Video) -> dict:
    """The JSON answer to the page's script: the video, its evaluation and where to follow it."""
    shown = videos_of_creator(creator=video.creator).prefetch_related(None).get(pk=video.pk)
    evaluation_id = shown.latest_evaluation_id
    return {
        "video": {
            "id": str(shown.public_id),
            "title": shown.title,
            "status": shown.status,
            "url": reverse("portal:video", kwargs={"public_id": shown.public_id}),
        },
        "evaluation": {"id": str(evaluation_id), "status": shown.latest_evaluation_status} if evaluation_id else None,
        "status_url": reverse("portal:upload-status", kwargs={"public_id": shown.public_id}),
        "evaluation_url": reverse("moderation-api:evaluation-detail", kwargs={"public_id": evaluation_id})
        if evaluation_id
        else None,
    }


def _stages(status: str | None) -> list[dict]:
    """The stage list: each stage is complete, current or waiting (all waiting when it failed)."""
    position = STAGE_ORDER.index(status) if status in STAGE_ORDER else -1
    rows = []
    for index, (stage, label, text) in enumerate(STAGES):
        if index < position:
            state = "complete"
        elif index == position:
            state = "current"
        else:
            state = "waiting"
        rows.append({"status": stage, "label": label, "text": text, "state": state})
    return rows


@login_required
@require_GET
def upload_status(request: HttpRequest, public_id) -> HttpResponse:
    creator = creator_or_404(request)
    # prefetch_related(None): the page shows no hashtags, and it reloads itself while the evaluation runs.
    video = videos_of_creator(creator=creator).prefetch_related(None).filter(public_id=public_id).first()
    if video is None:
        raise Http404("No such video of yours.")
    evaluation = None
    if video.latest_evaluation_id:
        evaluation = evaluation_visible_to(user=request.user).filter(public_id=video.latest_evaluation_id).first()
    status = evaluation.status if evaluation else None
    finished = status in Evaluation.FINAL_STATUSES
    context = {
        "video": video,
        "evaluation": evaluation,
        "status": status or "none",
        "finished": finished,
        "stages": _stages(status),
        "quality_score": round(evaluation.quality_score, 1)
        if evaluation and evaluation.quality_score is not None
        else None,
        "evaluation_url": reverse("moderation-api:evaluation-detail", kwargs={"public_id": evaluation.public_id})
        if evaluation
        else "",
        "flag_threshold": evaluation.scoring_config.get("flag_threshold", settings.MODERATION_FLAG_THRESHOLD)
        if evaluation
        else settings.MODERATION_FLAG_THRESHOLD,
        "poll_interval_ms": 1500,
    }
    return render(request, "creators/upload_status.html", context)
