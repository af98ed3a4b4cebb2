from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.views import brand_css
from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("brand.css", brand_css, name="brand_css"),
    path("people/", include("people.urls")),
    path("networks/", include("networks.urls")),
    path("resources/", include("resources.urls")),
    path("forums/", include("forums.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's catch-all serves the trust's pages, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
