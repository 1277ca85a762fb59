"""Calendar activities: book, update and cancel a loop's events; read attendees' responses.

Every event is keyed by the session's `event_key`, so a retried booking finds the event its first
attempt created, and cancelling twice is harmless.
"""

from __future__ import annotations

from temporalio import activity

from activities.errors import from_calendar
from integrations.calendar.base import (
    Attendee,
    CalendarError,
    CalendarProvider,
    EventSpec,
    ResponseStatus,
    Room,
)
from integrations.calendar.video import VideoLinks
from integrations.logs import get_logger
from integrations.org_store import OrgConfigStore
from models.activity_io import (
    AttendeeResponse,
    BookEventsInput,
    CancelEventsInput,
    ReadResponsesInput,
    ReadResponsesResult,
    SessionsResult,
)
from models.messages import BookedSession, SchedulingContext

log = get_logger(__name__)

_RESPONSES = {
    ResponseStatus.ACCEPTED: "accepted",
    ResponseStatus.DECLINED: "declined",
    ResponseStatus.TENTATIVE: "tentative",
    ResponseStatus.NEEDS_ACTION: "needs_action",
}


class CalendarActivities:
    """Activities over one calendar provider and one video-link policy."""

    def __init__(
        self, calendar: CalendarProvider, video: VideoLinks, org: OrgConfigStore, organizer: str
    ) -> None:
        self.calendar = calendar
        self.video = video
        self.org = org
        self.organizer = organizer

    def _spec(
        self, context: SchedulingContext, session: BookedSession, organizer: str, rooms: dict[str, Room]
    ) -> EventSpec:
        attendees = []
        for user_id in [*session.interviewers, *([session.trainee] if session.trainee else [])]:
            person = context.person(user_id)
            if person and person.email:
                attendees.append(
                    Attendee(email=person.email, name=person.name, optional=user_id == session.trainee)
                )
        if context.candidate_email:
            attendees.append(
                Attendee(email=context.candidate_email, name=context.candidate_first_name or None)
            )
        return EventSpec(
            key=session.event_key,
            organizer=organizer,
            summary=f"{session.name}: {context.job_name} interview",
            description=f"{context.stage_name} for {context.job_name}. Scheduled by Hireflow.",
            start=session.start,
            end=session.end,
            time_zone=context.candidate_time_zone,
            attendees=attendees,
            rooms=[rooms[session.room]] if session.room and session.room in rooms else [],
        )

    @activity.defn
    async def book_calendar_events(self, request: BookEventsInput) -> SessionsResult:
        """Create each session's event (or find it), with a room and a video link; update on `sequence > 0`."""
        rooms = {
            r.id: Room(id=r.id, name=r.name, capacity=r.capacity, time_zone=r.time_zone)
            for r in await self.org.arooms(request.context.rooms_office_id)
        }
        booked: list[BookedSession] = []
        try:
            for session in request.sessions:
                spec = self._spec(request.context, session, self.organizer, rooms)
                if request.mode == "video":
                    link, native = await self.video.for_booking(
                        session.event_key,
                        spec.summary,
                        session.start,
                        session.end,
                        request.context.candidate_time_zone,
                    )
                    spec = spec.model_copy(update={"video": link, "native_video": native})
                if request.sequence > 0:
                    event = await self.calendar.update_event(spec)
                else:
                    event = await self.calendar.create_event(spec)
                log.info(
                    "calendar_event_booked",
                    workflow_id=request.workflow_id,
                    session=session.session_id,
                    created=event.created,
                )
                booked.append(
                    session.model_copy(
                        update={
                            "calendar_event_id": event.event_id,
                            "video_url": event.video.url if event.video else session.video_url,
                        }
                    )
                )
        except CalendarError as error:
            raise from_calendar(error) from error
        return SessionsResult(sessions=booked)

    @activity.defn
    async def cancel_calendar_events(self, request: CancelEventsInput) -> None:
        """Cancel every session's event; missing or already cancelled events are fine."""
        organizer = self.organizer
        try:
            for session in request.sessions:
                await self.calendar.cancel_event(organizer, session.event_key)
        except CalendarError as error:
            raise from_calendar(error) from error

    @activity.defn
    async def read_attendee_responses(self, request: ReadResponsesInput) -> ReadResponsesResult:
        """Each interviewer's RSVP, matched by email to their Greenhouse user id."""
        organizer = self.organizer
        emails = {p.email.lower(): p.user_id for p in request.people if p.email}
        responses: list[AttendeeResponse] = []
        try:
            for session in request.sessions:
                event = await self.calendar.get_event(organizer, session.event_key)
                if event is None:
                    continue
                for attendee in event.attendees:
                    user_id = emails.get(attendee.email.lower())
                    if user_id is not None and user_id in session.interviewers:
                        responses.append(
                            AttendeeResponse.model_validate(
                                {
                                    "session_id": session.session_id,
                                    "user_id": user_id,
                                    "response": _RESPONSES[attendee.response],
                                }
                            )
                        )
        except CalendarError as error:
            raise from_calendar(error) from error
        return ReadResponsesResult(responses=responses)
