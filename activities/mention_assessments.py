"""The assessment commands of a mention: `send the <test> assessment` and `extend the assessment by N days`.

`MentionActivities.act_on_mention` (main queue) hands over a mention that is resolved and authorised.
`send` picks the test among those mapped for the application's job, then the configured provider's
catalog (`HIREFLOW_ASSESSMENT_PARTNER_PROVIDER`), and starts an AssessmentWorkflow through
`AssessmentClient.start` (one per application and test: an assessment already running is reported, not
started again). `extend` sends the running assessment's `extend` update with the note's id as its request
id, so a note delivered twice extends once. Every unhappy path is a reply that says how to say it right.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from activities.assessments import ProviderFactory
from integrations.assessment_client import AssessmentClient
from integrations.assessment_mappings import AssessmentMappings, distinct_tests, request_for, request_for_test
from integrations.greenhouse.mention_arguments import ASSESSMENT_NOUN, describe_hours
from integrations.greenhouse.mentions import Named, match_named, meaningful_words
from integrations.logs import get_logger
from integrations.mail.timefmt import format_instant
from models.assessment_io import (
    AssessmentRequest,
    AssessmentStatusSnapshot,
    DecisionRule,
    ExtendAssessmentInput,
)
from models.assessment_store import AssessmentStageMapping
from models.assessments import (
    AssessmentTest,
    ProviderRejectedError,
    ProviderUnavailableError,
    assessment_workflow_id,
)
from models.inert_text import quote_plain
from models.mentions import MentionOutcome, ResolvedMention
from models.settings import Settings

log = get_logger(__name__)

LISTED_TESTS = 15  # a reply names at most this many tests


@dataclass(frozen=True)
class Candidate:
    """A test the note may mean: a mapping of the job (with its rule), or a catalog test (default rule)."""

    name: str
    mapping: AssessmentStageMapping | None = None
    test: AssessmentTest | None = None


class MentionAssessments:
    """Send and extend assessments for resolved mentions."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        mappings: AssessmentMappings,
        providers: ProviderFactory | None,
    ) -> None:
        self.assessments = AssessmentClient(client, settings)
        self.mappings = mappings
        self.providers = providers
        self.settings = settings

    async def act(self, resolved: ResolvedMention) -> MentionOutcome:
        if resolved.action == "send":
            return await self.send(resolved)
        return await self.extend(resolved)

    # ---------------------------------------------------------------------------------------- send

    async def send(self, resolved: ResolvedMention) -> MentionOutcome:
        """Start the named test for the application, or say which tests there are."""
        assert resolved.application_id is not None
        if resolved.job_id is None:
            return MentionOutcome(
                reply="This application has no job (a prospect), so there is no test to send."
            )
        chosen, problem = await self._choose(resolved)
        if chosen is None:
            return MentionOutcome(reply=problem)
        request = self._request(chosen, resolved)
        for_job = f" for {resolved.job_name}" if resolved.job_name else ""
        running = await self._already_running(request)
        if running is not None:
            return MentionOutcome(
                reply=(
                    f"The {request.test_name} assessment{for_job} is already under way "
                    f"({_state_line(running)}); I did not send it again. "
                    f"Progress: {self.settings.workflow_ui_url(running.workflow_id)}"
                ),
                workflow_id=running.workflow_id,
            )
        handle = await self.assessments.start(request)
        log.info(
            "mention_started_assessment",
            workflow_id=handle.id,
            note_id=resolved.note.note_id,
            mapped=chosen.mapping is not None,
        )
        days = request.policy.deadline.days
        return MentionOutcome(
            reply=(
                f"On it: I'm sending the {request.test_name} assessment{for_job}. The candidate gets an "
                f"invitation by email with {days} day{'s' if days != 1 else ''} to take it; "
                f"{_rule_sentence(request.rule, mapped=chosen.mapping is not None)} "
                f"Progress: {self.settings.workflow_ui_url(handle.id)}"
            ),
            workflow_id=handle.id,
        )

    async def _choose(self, resolved: ResolvedMention) -> tuple[Candidate | None, str]:
        """The job's mapped tests first, then the provider's catalog; a question back when unclear."""
        assert resolved.job_id is not None
        mapped = [
            Candidate(row.test_name, mapping=row)
            for row in distinct_tests(await self.mappings.alist(resolved.job_id))
        ]
        phrase = _test_words(resolved.test_phrase, resolved.job_name)
        if not meaningful_words(ASSESSMENT_NOUN.sub(" ", phrase)):
            if len(mapped) == 1:  # "send the assessment": the job's one test
                return mapped[0], ""
            if mapped:
                return None, (
                    f"Which test? This job has {len(mapped)} mapped: {_names(mapped)}. "
                    f'Name one, for example "send the {mapped[0].name} assessment".'
                )
            catalog, unread = await self._catalog(mapped)
            return None, "Which test? " + _available(mapped, catalog, unread)
        hits = _matching(phrase, mapped)
        if not hits:
            catalog, unread = await self._catalog(mapped)
            hits = _matching(phrase, catalog)
            if not hits:
                return None, (
                    f"I did not recognise the test {quote_plain(resolved.test_phrase, 200)}. "
                    + _available(mapped, catalog, unread)
                )
        if len(hits) > 1:
            return None, (
                f"{quote_plain(resolved.test_phrase, 200)} matches several tests ({_names(hits)}); "
                "say which one."
            )
        return hits[0], ""

    async def _catalog(self, mapped: list[Candidate]) -> tuple[list[Candidate], str]:
        """The configured provider's tests that no mapping of the job covers; and why it could not be read."""
        if self.providers is None:
            return [], ""
        name = self.settings.assessment_partner_provider
        try:
            tests = await self.providers(name).list_tests()
        except ProviderRejectedError as error:  # not configured, credentials refused: not worth a retry
            log.warning("mention_catalog_refused", provider=name, error=str(error))
            return [], f"I could not read the {name} catalog ({error})."
        except ProviderUnavailableError as error:
            # Answered now rather than retried: the watch reads notes in order, so a note waiting on a
            # provider outage would hold every later note (scheduling ones too) for as long as it lasts.
            log.warning("mention_catalog_unavailable", provider=name, error=str(error))
            return [], (
                f"I could not reach the {name} catalog just now ({error}); "
                "mention me again in a few minutes, or name one of the job's mapped tests."
            )
        covered = {(c.mapping.provider, c.mapping.test_id) for c in mapped if c.mapping is not None}
        return [Candidate(t.name, test=t) for t in tests if (t.provider, t.test_id) not in covered], ""

    def _request(self, chosen: Candidate, resolved: ResolvedMention) -> AssessmentRequest:
        assert resolved.application_id is not None
        requested_by = resolved.note.user_id
        if chosen.mapping is not None:
            return request_for(
                chosen.mapping,
                resolved.application_id,
                source="mention",
                requested_by=requested_by,
                base_policy=self.settings.assessment_policy,
            )
        assert chosen.test is not None
        return request_for_test(
            chosen.test,
            resolved.application_id,
            source="mention",
            requested_by=requested_by,
            policy=self.settings.assessment_policy,
        )

    async def _already_running(self, request: AssessmentRequest) -> AssessmentStatusSnapshot | None:
        """This application's run of this test: under its business id, or (started another way, under
        another key) a running assessment of the same test name."""
        found = await self.assessments.running(
            assessment_workflow_id(request.application_id, request.test_key)
        )
        if found is not None:
            return found
        name = request.test_name.casefold()
        running = await self.assessments.running_for_application(request.application_id)
        return next((s for s in running if s.test_name.casefold() == name), None)

    # -------------------------------------------------------------------------------------- extend

    async def extend(self, resolved: ResolvedMention) -> MentionOutcome:
        """The `extend` update on the application's running assessment; its answer is the reply."""
        assert resolved.application_id is not None and resolved.extend_hours > 0
        running = await self.assessments.running_for_application(resolved.application_id)
        for_job = f" for {resolved.job_name}" if resolved.job_name else ""
        if not running:
            return MentionOutcome(
                reply=(
                    f"There is no assessment running{for_job}, so there is nothing to extend. "
                    "Mention me with `send the <test name> assessment` to start one."
                )
            )
        target, problem = _running_named(resolved, running)
        if target is None:
            return MentionOutcome(reply=problem)
        link = self.settings.workflow_ui_url(target.workflow_id)
        what = f"the {target.test_name} assessment{for_job}"
        days, hours = divmod(resolved.extend_hours, 24)
        update = ExtendAssessmentInput(days=days, hours=hours, request_id=f"note-{resolved.note.note_id}")
        try:
            answer = await self.assessments.extend(target.workflow_id, update)
        except WorkflowUpdateFailedError as error:
            return MentionOutcome(reply=f"I could not extend {what}: {error.cause or error}. {link}")
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            return MentionOutcome(
                reply=f"{what[0].upper()}{what[1:]} ended meanwhile; nothing was extended. {link}"
            )
        log.info(
            "mention_extended_assessment",
            workflow_id=target.workflow_id,
            note_id=resolved.note.note_id,
            outcome=answer.outcome,
        )
        if answer.outcome != "done":
            return MentionOutcome(
                reply=f"I did not extend {what}: {answer.message} {link}", workflow_id=target.workflow_id
            )
        deadline = ""
        if answer.deadline is not None:
            deadline = f" The new deadline is {format_instant(answer.deadline, resolved.candidate_time_zone or 'UTC')}."
        return MentionOutcome(
            reply=f"Extended {what} by {describe_hours(resolved.extend_hours)}.{deadline} Progress: {link}",
            workflow_id=target.workflow_id,
        )


def _running_named(
    resolved: ResolvedMention, running: list[AssessmentStatusSnapshot]
) -> tuple[AssessmentStatusSnapshot | None, str]:
    """The running assessment the note names; the only one when it names none; else a question."""
    by_index = [Named(i, s.test_name) for i, s in enumerate(running)]
    listing = ", ".join(f"{s.test_name} ({s.state})" for s in running)
    phrase = _test_words(resolved.test_phrase, resolved.job_name)
    if meaningful_words(ASSESSMENT_NOUN.sub(" ", phrase)):
        hits = _matching_named(phrase, by_index)
        if len(hits) == 1:
            return running[hits[0].id], ""
        if hits:
            return (
                None,
                f"{quote_plain(resolved.test_phrase, 200)} matches several running assessments ({listing}); say which one.",
            )
        return None, (
            f"No running assessment matches {quote_plain(resolved.test_phrase, 200)}. Running: {listing}."
        )
    if len(running) == 1:
        return running[0], ""
    example = f"extend the {running[0].test_name} assessment by {describe_hours(resolved.extend_hours)}"
    return None, f'Several assessments are running ({listing}); name the test, for example "{example}".'


def _test_words(phrase: str, job_name: str) -> str:
    """The phrase without the job's name ("send the Python basics test for Backend Engineer")."""
    return phrase.lower().replace(job_name.lower(), " ") if job_name else phrase


def _matching_named(phrase: str, choices: list[Named]) -> list[Named]:
    """By the phrase as said, else without the words "assessment", "test", ... (not every name has them)."""
    return match_named(phrase, choices) or match_named(ASSESSMENT_NOUN.sub(" ", phrase), choices)


def _matching(phrase: str, candidates: list[Candidate]) -> list[Candidate]:
    hits = _matching_named(phrase, [Named(i, c.name) for i, c in enumerate(candidates)])
    return [candidates[h.id] for h in hits]


def _names(candidates: list[Candidate]) -> str:
    shown = ", ".join(f'"{c.name}"' for c in candidates[:LISTED_TESTS])
    more = len(candidates) - LISTED_TESTS
    return shown + (f" and {more} more" if more > 0 else "")


def _available(mapped: list[Candidate], catalog: list[Candidate], unread: str) -> str:
    parts = []
    if mapped:
        parts.append(f"Mapped for this job: {_names(mapped)}.")
    if catalog:
        parts.append(f"From the catalog (no rule: the score is only written back): {_names(catalog)}.")
    if unread:
        parts.append(unread)
    if not mapped and not catalog:
        parts.append("There are no tests to send: map one with `hireflow assessments map`.")
    return " ".join(parts)


def _rule_sentence(rule: DecisionRule, *, mapped: bool) -> str:
    """What happens with the score, in a recruiter's words."""
    if rule.threshold is None:
        why = "this job's mapping sets no threshold" if mapped else "no rule is mapped for this test"
        return f"I'll write the score back here and change nothing else ({why})."
    below = "I reject the application" if rule.below == "reject" else "I add a note recommending review"
    sentence = f"at {rule.threshold:g} or more I advance the application, below it {below}"
    if rule.dry_run:
        sentence += " (dry run: I only note what I would do)"
    return sentence + "."


def _state_line(status: AssessmentStatusSnapshot) -> str:
    line = f"state {status.state}"
    if status.waiting_for:
        line += f", waiting for {status.waiting_for}"
    if status.deadline:
        line += f", deadline {status.deadline:%Y-%m-%d %H:%M} UTC"
    return line
