"""The views, unchanged from the nginx days: decide, then answer X-Accel-Redirect."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

#: slug -> (download name, path under the protected location)
REPORTS = {
    "q3-2026": ("Q3 2026 résumé.pdf", "reports/q3 2026.pdf"),
    "annual-2025": ("Annual report 2025.pdf", "reports/annual-2025.pdf"),
}
IMAGES = ["gallery/chart-1.svg", "gallery/chart-2.svg"]


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    return render(request, "reports.html", {"reports": REPORTS})


@login_required
def download(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in REPORTS:
        raise Http404(slug)
    name, path = REPORTS[slug]
    response = HttpResponse(content_type="application/pdf")
    response["X-Accel-Redirect"] = f"/protected/{path}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def gallery(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    base = settings.FRONTGATE["BASE_URL"]
    response = render(request, "gallery.html", {"images": [f"{base}/media/{i}" for i in IMAGES]})
    # many images on one page: one set of signed cookies instead of a signed URL each
    response["X-Frontgate-Cookies"] = "media/gallery/"
    return response
