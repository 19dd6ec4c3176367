"""Pages for disagreements, exit feedback and asking for a different supporter."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from peercircle.people.viewer import Viewer
from peercircle.relationships.agreements.access import manages_relationship
from peercircle.relationships.endings import services
from peercircle.relationships.endings.access import access_disagreement, access_ending
from peercircle.relationships.endings.feedback import QUESTIONS, form_for
from peercircle.relationships.endings.forms import (
    DisagreementForm,
    FeedbackForm,
    MeetingForm,
    OutcomeForm,
)
from peercircle.relationships.endings.models import DisagreementStatus, ExitFeedback
from peercircle.relationships.models import Participant
from peercircle.relationships.views import form_error, invalid, refused
from peercircle.web.decorators import viewer_required


@viewer_required
def ask_for_change(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """Any party, at any time: end without fault and wait for a new match (002)."""
    relationship = access_ending(viewer, pk, purpose="change")
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the box to confirm, or go back if you changed your mind.")
        else:
            try:
                services.relationship_ask_for_change(
                    relationship=relationship, person=viewer.person, actor=viewer.user
                )
            except ValidationError as exc:
                refused(request, exc)
            else:
                messages.success(
                    request,
                    "Done. The relationship has ended, and you are waiting for a new match. "
                    "Your coordinator has been told.",
                )
                return redirect(relationship)
    others = (
        Participant.objects.filter(relationship=relationship)
        .exclude(person=viewer.person)
        .select_related("person")
    )
    return render(
        request,
        "relationships/change.html",
        {"relationship": relationship, "others": [p.person for p in others]},
    )


@viewer_required
def disagreement_create(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_ending(viewer, pk, purpose="disagreement")
    form = DisagreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            disagreement = services.disagreement_record(
                relationship=relationship,
                raised_by=viewer.person,
                description=form.cleaned_data["description"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Recorded. The coordinator has been told.")
            return redirect("relationships:disagreement", disagreement.pk)
    return render(
        request,
        "relationships/form.html",
        {
            "form": form,
            "relationship": relationship,
            "title": "Record a disagreement",
            "intro": "Try first to sort it out between you. If you cannot, record it here: the "
            "coordinator can arrange a three-way meeting. A disagreement is nobody's failure.",
            "submit": "Record it",
        },
    )


@viewer_required
def disagreement_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    disagreement = access_disagreement(viewer, pk, purpose="read")
    relationship = disagreement.relationship
    can_manage = manages_relationship(viewer, relationship)
    open_ = disagreement.status != DisagreementStatus.CLOSED
    context = {
        "disagreement": disagreement,
        "relationship": relationship,
        "can_manage": can_manage and open_,
        "can_manage_relationship": can_manage,
    }
    if can_manage and open_:
        context["meeting_form"] = MeetingForm(
            initial={
                "version": disagreement.version,
                "meeting_on": disagreement.meeting_on,
                "meeting_with": disagreement.meeting_with,
            },
            auto_id="meeting_%s",
        )
        context["outcome_form"] = OutcomeForm(
            initial={"version": disagreement.version}, auto_id="outcome_%s"
        )
    return render(request, "relationships/disagreement.html", context)


@require_POST
@viewer_required
def disagreement_meeting(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    disagreement = access_disagreement(viewer, pk, purpose="manage")
    form = MeetingForm(request.POST)
    if not form.is_valid():
        invalid(request, form)
    else:
        try:
            services.disagreement_arrange_meeting(
                disagreement=disagreement,
                meeting_on=form.cleaned_data["meeting_on"],
                meeting_with=form.cleaned_data["meeting_with"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, "Three-way meeting set; both parties were told.")
    return redirect("relationships:disagreement", disagreement.pk)


@require_POST
@viewer_required
def disagreement_outcome(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    disagreement = access_disagreement(viewer, pk, purpose="manage")
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        invalid(request, form)
    else:
        try:
            services.disagreement_close(
                disagreement=disagreement,
                outcome=form.cleaned_data["outcome"],
                outcome_notes=form.cleaned_data["outcome_notes"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, "Outcome recorded.")
    return redirect("relationships:disagreement", disagreement.pk)


@viewer_required
def feedback(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_ending(viewer, pk, purpose="feedback")
    participant = Participant.objects.get(relationship=relationship, person=viewer.person)
    given = ExitFeedback.objects.filter(relationship=relationship, person=viewer.person).first()
    questions = QUESTIONS[form_for(participant.side)]
    if given is not None:
        return render(
            request,
            "relationships/feedback_given.html",
            {"relationship": relationship, "feedback": given, "questions": questions},
        )
    form = FeedbackForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.exit_feedback_submit(
                relationship=relationship,
                person=viewer.person,
                usefulness=data["usefulness"],
                answers=form.answers(),
                would_again=data["would_again"],
                would_recommend=data["would_recommend"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Thank you for your feedback.")
            return redirect(relationship)
    return render(
        request,
        "relationships/form.html",
        {
            "form": form,
            "relationship": relationship,
            "title": "How did it go?",
            "intro": "Your answers help the scheme get better. Only the scheme's coordinators "
            "read them; the other person does not.",
            "submit": "Send my feedback",
        },
    )
