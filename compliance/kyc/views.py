"""The one way an identity document leaves private storage: an access-checked download.

Who gets what: the document's owner and staff holding ``compliance.view_identitydocument`` get the
file; a signed-in user who is neither gets 404 (whether the document exists is not theirs to know);
staff without the permission get 403; anyone signed out is sent to sign in. Staff downloads are
audited. Responses are never cached and always download (``Content-Disposition: attachment``), so a
browser never renders an uploaded file inside our origin.
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from compliance.audit import audit
from compliance.models import IdentityDocument
from compliance.models.kyc import DOCUMENT_CONTENT_TYPES


@never_cache
@require_GET
@login_required
def identity_document_download(request: HttpRequest, document_id: uuid.UUID) -> FileResponse:
    document = IdentityDocument.objects.select_related("submission").filter(public_id=document_id).first()
    if document is None:
        raise Http404("No such document.")
    is_owner = document.submission.user_id == request.user.pk
    if not is_owner:
        if not request.user.is_staff:
            raise Http404("No such document.")
        if not request.user.has_perm("compliance.view_identitydocument"):
            raise PermissionDenied("Viewing identity documents needs the compliance permission.")
        audit(
            actor=request.user,
            action="kyc.document_viewed",
            instance=document,
            after={"submission": document.submission_id},
        )
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The document's file is missing.") from exc
    extension = DOCUMENT_CONTENT_TYPES.get(document.content_type, "bin")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{document.doc_type}-{document.public_id.hex[:12]}.{extension}",
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private, max-age=0"
    return response
