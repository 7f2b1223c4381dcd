"""Static files served by the app itself, so ``zengshou serve`` works without DEBUG or a web server
in front (office networks are often closed: ECharts and the styles come from here, never a CDN)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET


@require_GET
def serve_static(request: HttpRequest, path: str) -> HttpResponseBase:
    if ".." in Path(path).parts:
        raise Http404(path)
    found = finders.find(path)
    if not found or isinstance(found, list):
        raise Http404(path)
    ctype, _ = mimetypes.guess_type(found)
    response = FileResponse(open(found, "rb"), content_type=ctype or "application/octet-stream")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
