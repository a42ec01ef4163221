"""Project middleware shared by both apps."""

from django.http import HttpResponse
from django.template.loader import render_to_string

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
