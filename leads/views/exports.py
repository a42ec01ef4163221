from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from leads import exports
from leads.selectors.leads import filter_leads

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
def export_leads(request):
    """The lead list as a file: the same scope, saved view, filters and order."""
    file_format = request.GET.get("format", "csv")
    if file_format not in CONTENT_TYPES:
        file_format = "csv"
    params = request.GET.copy()
    params.pop("format", None)
    params.pop("page", None)
    queryset = filter_leads(user=request.user, params=params, request=request).qs
    chunks = (
        exports.xlsx_chunks(queryset)
        if file_format == "xlsx"
        else exports.csv_chunks(queryset)
    )
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[file_format])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="leads-{stamp}.{file_format}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
