from django.urls import include, path


def a_view_that_breaks(request):
    raise RuntimeError("something unexpected")


urlpatterns = [
    path("breaks/", a_view_that_breaks),
    path("", include("config.urls")),
]
