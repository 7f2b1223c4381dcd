"""The project's URLs plus one page that fails, to see the 500 page a user would get."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from zengshou.urls import *  # noqa: F403  (the handlers come with the patterns)
from zengshou.urls import urlpatterns as project_urls


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("division by zero in some helper")


urlpatterns = [path("boom/", boom), *project_urls]
