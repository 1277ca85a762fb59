"""Activity names shared by the workflows (callers) and the activity classes (implementers).

Workflows call activities by these names with typed inputs and `result_type`, so a workflow module
never imports the integrations (httpx, SQL, SMTP) into its sandbox.
"""

from __future__ import annotations

GATHER_SCHEDULING_CONTEXT = "gather_scheduling_context"
FIND_OPTIONS = "find_options"
CHECK_OPTION = "check_option"
BOOK_CALENDAR_EVENTS = "book_calendar_events"
CANCEL_CALENDAR_EVENTS = "cancel_calendar_events"
READ_ATTENDEE_RESPONSES = "read_attendee_responses"
RECORD_GREENHOUSE_INTERVIEWS = "record_greenhouse_interviews"
UPDATE_GREENHOUSE_INTERVIEW = "update_greenhouse_interview"
DELETE_GREENHOUSE_INTERVIEWS = "delete_greenhouse_interviews"
ADD_CANDIDATE_NOTE = "add_candidate_note"
SEND_EMAIL = "send_email"
LIST_MENTIONS = "list_mentions"
RESOLVE_MENTION = "resolve_mention"
ACT_ON_MENTION = "act_on_mention"
MARK_MENTION_HANDLED = "mark_mention_handled"
