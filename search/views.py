from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from search import selectors
from search.forms import read_search


def index(request: HttpRequest) -> HttpResponse:
    asked = read_search(request.GET)
    found = selectors.search(
        request.user,
        text=asked.text,
        filters=asked.filters,
        sort=asked.sort,
        page=asked.page,
        exact=asked.exact,
    )
    return render(request, "search/index.html", {"asked": asked, "found": found})


def suggest(request: HttpRequest) -> JsonResponse:
    """Titles for the header's typeahead: `?q=` of two characters or more, at most eight."""
    results = selectors.typeahead(request.user, request.GET.get("q", ""))
    response = JsonResponse({"results": results})
    # Answers differ by person (private networks): never share them through a cache.
    response["Cache-Control"] = "private, no-store"
    return response
