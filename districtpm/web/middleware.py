"""Response headers that keep student and personnel data out of browser and proxy caches."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponseBase


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every page for a signed-in user and on every download.

    Static files are exempt: they hold no data and should be cached (WhiteNoise serves them
    before this middleware runs; the path check covers any other static handler).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return response
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in or is_download(response):
            response["Cache-Control"] = "no-store"
            # For HTTP/1.0 caches that ignore Cache-Control.
            response["Pragma"] = "no-cache"
        return response


def is_download(response: HttpResponseBase) -> bool:
    """A file handed over as such: an export, a meeting pack, a calendar feed."""
    return isinstance(response, FileResponse) or response.has_header("Content-Disposition")
