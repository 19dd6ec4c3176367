from django.urls import include, path

from peercircle.accounts.views import email_addresses
from peercircle.meetings.views import calendar_feed
from peercircle.ops.views import healthz
from peercircle.people.views import invitation_accept

urlpatterns = [
    path("", include("peercircle.web.urls")),
    path("people/", include("peercircle.people.urls")),
    path("schemes/", include("peercircle.schemes.urls")),
    path("relationships/", include("peercircle.relationships.urls")),
    path("organisation/", include("peercircle.organisations.urls")),
    path("concerns/", include("peercircle.concerns.urls")),
    path("notifications/", include("peercircle.notifications.urls")),
    path("meetings/", include("peercircle.meetings.urls")),
    path("records/", include("peercircle.records.urls")),
    path("matching/", include("peercircle.matching.urls")),
    path("groups/", include("peercircle.groups.urls")),
    path("rotations/", include("peercircle.rotations.urls")),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("invite/<str:token>/", invitation_accept, name="invitation_accept"),
    # Before allauth's URLs, so that this page replaces allauth's self-service one.
    path("accounts/email/", email_addresses, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
]
