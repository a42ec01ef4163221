"""The top bar's global search page (/search/?q=...)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from leads.selectors.search import MIN_LENGTH, global_search


@require_GET
def search(request):
    results = global_search(user=request.user, q=request.GET.get("q", ""))
    return render(
        request,
        "leads/search.html",
        {"results": results, "q": results.q, "min_length": MIN_LENGTH},
    )
