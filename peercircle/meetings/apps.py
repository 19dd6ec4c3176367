from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "peercircle.meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from peercircle.meetings.services import (
            cancel_future_meetings,
            cancel_future_meetings_many,
        )
        from peercircle.relationships.hooks import on_stop_working

        on_stop_working(cancel_future_meetings, many=cancel_future_meetings_many)
