"""Who a reply is from, and what it may do: the candidate's own mail acts, anything else informs.

Every reply to a request's mail arrives as `candidate_replied` with its sender, whether the inbound
path authenticated it, and whose signed reply address it came to. Before the candidate's intent is
read (`Instructions._candidate_replied`), this decides whether the reply may act for them at all.
"""

from __future__ import annotations

from models.messages import CandidateRepliedInput, chain_ref
from workflows.scheduling_core import wording
from workflows.scheduling_core.after_booking import AfterBooking


class ReplyAttribution(AfterBooking):
    """Routes replies that are not the candidate's to act on (see the module docstring)."""

    def _not_the_candidates_to_act_on(self, reply: CandidateRepliedInput) -> bool:
        """Handle a reply that must not act for the candidate; False when it is theirs to act on.

        A reply acts for the candidate only when it came to their address (or an address from before
        roles), for this request, from their address on record, through an authenticated path. Even
        then an emailed cancel only asks them to confirm with a click. Anything else informs.
        """
        if reply.chain_ref and self.chain_id and reply.chain_ref != chain_ref(self.chain_id):
            self._inform_recruiter(reply, wording.REPLY_EARLIER_REQUEST)
            return True
        if reply.role == "interviewer":
            self._interviewer_replied(reply)
            return True
        if reply.role == "recruiter":
            self._record("recruiter_replied", f"{reply.intent} (by email; nothing changed)")
            return True
        if not self._sent_by(reply, self.s.context.candidate_email if self.s.context else None):
            self._inform_recruiter(reply, wording.REPLY_NOT_FROM_CANDIDATE)
            return True
        if reply.intent == "cancel":
            self._record("cancel_asked_by_email", "a confirmation link was sent to the candidate")
            key = f"cancel-ask/{len(self.s.history)}"
            self._email_candidate(
                "cancel_confirmation", key, sessions=self.s.booking.sessions if self.s.booking else None
            )
            self._note(key, wording.cancel_asked_note(reply.excerpt))
            return True
        return False

    @staticmethod
    def _sent_by(reply: CandidateRepliedInput, address: str | None) -> bool:
        """The authenticated sender is `address` (compared without case, as mail systems do)."""
        return bool(
            reply.sender_authenticated and address and reply.sender.strip().lower() == address.strip().lower()
        )

    def _interviewer_replied(self, reply: CandidateRepliedInput) -> None:
        """An interviewer's own reply: a decline repairs their sessions only; anything else informs."""
        person = self.context.person(reply.user_id) if self.s.context and reply.user_id else None
        if person is None or not self._sent_by(reply, person.email):
            self._inform_recruiter(reply, wording.REPLY_NOT_FROM_INTERVIEWER)
            return
        self._record("interviewer_replied", f"{self._name(person.user_id)}: {reply.intent}")
        booking = self.s.booking
        if reply.intent in ("decline", "cancel") and booking is not None:
            mine = [s for s in booking.sessions if person.user_id in s.interviewers]
            for session in mine:
                if self._declined(session.session_id, person.user_id):
                    return
            if mine:
                return
        self._note(
            f"interviewer-reply/{len(self.s.history)}",
            wording.interviewer_reply_note(self._name(person.user_id), reply.intent, reply.excerpt),
        )

    def _inform_recruiter(self, reply: CandidateRepliedInput, why: str) -> None:
        """A reply that changes nothing: the recruiter reads it in a note (and by email)."""
        self._record("reply_not_acted_on", f"{reply.role or 'unknown'} address: {why}")
        if self.s.context is None:
            return
        key = f"reply-info/{len(self.s.history)}"
        body = wording.reply_info_note(why, reply.sender, reply.intent, reply.excerpt)
        self._note(key, body)
        recruiter = self._recruiter()
        if recruiter and recruiter.email:
            self._email("recruiter_escalation", key, recruiter, reason=body)
