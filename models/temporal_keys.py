"""Typed search-attribute keys that recruiters filter on in the Temporal Web UI.

Values are ids, states and instants only: search attributes are stored unencrypted, so no names or
email addresses ever go here.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

APPLICATION_ID = SearchAttributeKey.for_int("ApplicationId")
CANDIDATE_ID = SearchAttributeKey.for_int("CandidateId")
JOB_ID = SearchAttributeKey.for_int("JobId")
STAGE_NAME = SearchAttributeKey.for_keyword("StageName")
SCHEDULING_STATUS = SearchAttributeKey.for_keyword("SchedulingStatus")
# Keyword, not Int: SQL visibility (dev server, PostgreSQL) allows at most 3 custom Int attributes.
RECRUITER_ID = SearchAttributeKey.for_keyword("RecruiterId")
INTERVIEW_START = SearchAttributeKey.for_datetime("InterviewStart")
ASSESSMENT_STATUS = SearchAttributeKey.for_keyword("AssessmentStatus")
ASSESSMENT_SCORE = SearchAttributeKey.for_float("AssessmentScore")

ALL_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey, ...] = (
    APPLICATION_ID,
    CANDIDATE_ID,
    JOB_ID,
    STAGE_NAME,
    SCHEDULING_STATUS,
    RECRUITER_ID,
    INTERVIEW_START,
    ASSESSMENT_STATUS,
    ASSESSMENT_SCORE,
)

# Indexed value type → the type names `temporal server start-dev --search-attribute NAME=TYPE` takes.
_CLI_TYPE_NAMES = {
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
}


def cli_search_attribute_flags() -> list[str]:
    """`--search-attribute Name=Type` pairs for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return flags
