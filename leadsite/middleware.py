"""Project middleware shared by both apps."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string

from leadsite.http import safe_next_url
from leadsite.transactions import is_transient


class TransientDatabaseErrorMiddleware:
    """A deadlock, lock or statement timeout that survived the services' retries
    answers with LeadSite's own "busy, try again" page (503, Retry-After), never a
    500: the transaction rolled back, so nothing was half-saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_transient(exception):
            return None
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response


def _refused(request, *, status, heading, text):
    back = safe_next_url(request, _referer_path(request)) or "/"
    html = render_to_string(
        "request_refused.html", {"heading": heading, "text": text, "back": back}
    )
    return HttpResponse(html, status=status)


def _referer_path(request):
    referer = request.META.get("HTTP_REFERER", "")
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return None
    return parts.path or None


class RequestSizeLimitMiddleware:
    """Refuse a body larger than LEADSITE_MAX_REQUEST_SIZE from its Content-Length,
    before reading any of it (no temp file is written, no worker waits for it), and
    turn a multipart body Django cannot parse (a part header beyond its 1 KiB
    limit, e.g. a ~1,000-character file name) into a page that says what to do.
    Uploaded temp files are closed (and so removed) on every way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LEADSITE_MAX_REQUEST_SIZE
        if length > limit:
            return _refused(
                request,
                status=413,
                heading="The upload is too large",
                text=(
                    f"The request is {filesizeformat(length)}; files up to "
                    f"{filesizeformat(settings.LEADSITE_MAX_UPLOAD_SIZE)} can be uploaded. "
                    "Nothing was uploaded."
                ),
            )
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith("multipart/"):
            try:
                request.POST  # noqa: B018 - parse now, so a bad body is our page
            except MultiPartParserError:
                return _refused(
                    request,
                    status=400,
                    heading="The upload could not be read",
                    text=(
                        "The file name (or another part of the form) is too long. "
                        "Rename the file to a shorter name (up to about 200 "
                        "characters) and upload it again. Nothing was uploaded."
                    ),
                )
        try:
            return self.get_response(request)
        finally:
            files = getattr(request, "_files", None)
            for _, uploads in files.lists() if files else ():
                for upload in uploads:
                    upload.close()
