from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.health import run_checks


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks},
        status=200 if healthy else 503,
    )


def image_rendition(request: HttpRequest, path: str) -> HttpResponse:
    """A Wagtail image rendition from the media folder, read where MEDIA_ROOT is now (not where
    it was when the URLs were loaded)."""
    return static.serve(request, path, document_root=Path(settings.MEDIA_ROOT) / "images")
