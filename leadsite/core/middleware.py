"""Project middleware shared by both apps."""

from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import gettext

from leadsite.core import locale
from leadsite.core.api import API_PREFIX, PROBLEM_CONTENT_TYPE, problem_body
from leadsite.core.http import safe_next_url
from leadsite.core.transactions import is_transient

# Room in a request body for the form's other fields and the multipart headers,
# above the largest file a view takes.
FORM_ROOM = 1024 * 1024


def takes_uploads(setting: str):
    """Mark a view as taking files up to settings.<setting> bytes (instead of
    LEADSITE_MAX_UPLOAD_SIZE): RequestBodyMiddleware lets bodies up to that plus
    FORM_ROOM through to it, and names that limit when it refuses one."""

    def mark(view):
        view.upload_size_setting = setting
        return view

    return mark


def _upload_size_setting(request) -> str:
    """The setting that limits uploads to the view of this request's URL."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "LEADSITE_MAX_UPLOAD_SIZE"
    return getattr(match.func, "upload_size_setting", "LEADSITE_MAX_UPLOAD_SIZE")


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
    if request.path.startswith(API_PREFIX):
        # API callers read problem details, as from the endpoints themselves.
        return JsonResponse(
            problem_body(
                status,
                detail=gettext("%(heading)s: %(text)s")
                % {"heading": heading, "text": text},
            ),
            status=status,
            content_type=PROBLEM_CONTENT_TYPE,
        )
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


def _valid_utf8_form(request, content_type) -> bool:
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            for pair in request.body.split(b"&"):
                unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if content_type.startswith("multipart/"):
        # Parsed already (by the caller); Django decoded the parts with
        # errors="replace".
        values = [v for _, vs in request.POST.lists() for v in vs]
        return not any("\ufffd" in value for value in values)
    return True


FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")


def _unreadable_form_text(request, error) -> dict:
    """Heading and text of the 400 page for a form body Django refuses to parse."""
    heading = gettext("The form could not be read")
    if isinstance(error, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        text = gettext(
            "The form sent more than %(limit)s fields, more than any LeadSite page "
            "has. Nothing was saved; open the page again and send it from there."
        ) % {"limit": number_format(limit, force_grouping=True)}
    elif isinstance(error, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        text = gettext(
            "The form sent more than %(limit)s files. Nothing was uploaded."
        ) % {"limit": number_format(limit, force_grouping=True)}
    elif isinstance(error, RequestDataTooBig):
        size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        text = gettext(
            "The text of the form is larger than %(size)s. Nothing was saved; "
            "shorten it, or attach long text as a file."
        ) % {"size": size}
    elif isinstance(error, MultiPartParserError):
        heading = gettext("The upload could not be read")
        text = gettext(
            "The file name (or another part of the form) is too long or broken. "
            "Rename the file to a shorter name (up to about 200 characters) and "
            "upload it again. Nothing was uploaded."
        )
    else:
        text = gettext("The form's contents are malformed. Nothing was saved.")
    return {"heading": heading, "text": text}


class RequestBodyMiddleware:
    """Refuse a body larger than its URL's upload limit (LEADSITE_MAX_UPLOAD_SIZE, or
    the setting the view names with @takes_uploads) plus FORM_ROOM from its
    Content-Length, before reading any of it (no temp file is written, no worker
    waits for it), and turn a form body Django refuses to parse (more than 1,000
    fields, a part header beyond its 1 KiB limit such as a ~1,000-character file
    name) into a 400 page that says what was wrong.
    A form whose text is not valid UTF-8 is refused (Django would decode it with
    U+FFFD replacement characters and save those). Uploaded temp files are closed
    (and so removed) on every way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            # Before LocaleMiddleware: a refusal speaks the language it would choose.
            language = translation.get_language_from_request(request)
            with translation.override(language):
                return self._checked(request)
        finally:
            files = getattr(request, "_files", None)
            for _, uploads in files.lists() if files else ():
                for upload in uploads:
                    upload.close()

    def _checked(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        files_limit = settings.LEADSITE_MAX_UPLOAD_SIZE
        if length > files_limit + FORM_ROOM:
            # Only a large body pays for resolving its URL here.
            files_limit = getattr(settings, _upload_size_setting(request))
        if length > files_limit + FORM_ROOM:
            return _refused(
                request,
                status=413,
                heading=gettext("The upload is too large"),
                text=gettext(
                    "The request is %(size)s; files up to %(limit)s can be "
                    "uploaded here. Nothing was uploaded."
                )
                % {
                    "size": filesizeformat(length),
                    "limit": filesizeformat(files_limit),
                },
            )
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith(FORM_TYPES):
            try:
                request.POST  # noqa: B018 - parse now, so a bad body is our page
            except (SuspiciousOperation, MultiPartParserError) as error:
                return _refused(
                    request, status=400, **_unreadable_form_text(request, error)
                )
        if request.method == "POST" and not _valid_utf8_form(request, content_type):
            return _refused(
                request,
                status=400,
                heading=gettext("The form could not be read"),
                text=gettext(
                    "Some of the text sent is not valid UTF-8 (a broken character "
                    "encoding). Nothing was saved; type or paste it again."
                ),
            )
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Signed-in pages, exports and attachment downloads are CRM data: neither the
    browser nor a shared proxy may keep a copy (Cache-Control: private, no-store)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class UserLocaleMiddleware:
    """The signed-in user's own language and time zone (User.language,
    User.time_zone): after Django's LocaleMiddleware (which chose the switcher's
    cookie, else the browser's Accept-Language), a language the user picked wins;
    times are shown in the user's zone, else the site's (settings.TIME_ZONE).
    Both are set afresh on every request, so a thread never keeps the previous
    user's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        language = getattr(user, "language", "") if signed_in else ""
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = locale.zone(getattr(user, "time_zone", "") if signed_in else "")
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        return self.get_response(request)
