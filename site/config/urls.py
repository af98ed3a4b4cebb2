from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.views import brand_css
from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("brand.css", brand_css, name="brand_css"),
    path("people/", include("people.urls")),
    path("accounts/", include("people.sign_in_urls")),
    path("networks/", include("networks.urls")),
    path("resources/", include("resources.urls")),
    path("forums/", include("forums.urls")),
    path("search/", include("search.urls")),
    path("safeguarding/", include("safeguarding.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Only Wagtail's image renditions are served straight from the media folder (to signed-in
    # staff). Resource files never are: they go through resources' download view, which
    # checks who may see them.
    urlpatterns += [
        re_path(r"^media/images/(?P<path>.+)$", views.image_rendition, name="image_rendition")
    ]

# Wagtail's catch-all serves the trust's pages, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
