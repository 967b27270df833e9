"""A page for a navigation entry whose feature has not landed yet (see the open issues)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def not_built_yet(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", status=200)
