from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from peercircle.ops.health import health_report


def healthz(request: HttpRequest) -> JsonResponse:
    """Database and worker state for load balancers and operators; no personal data."""
    report = health_report()
    return JsonResponse(report, status=200 if report["database"]["ok"] else 503)
