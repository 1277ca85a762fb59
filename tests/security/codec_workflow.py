"""A workflow that carries a candidate's name, email and reply, as scheduling does (own module: the
sandbox re-imports it, so it imports nothing but pydantic and temporalio)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow


class CandidateCard(BaseModel):
    name: str
    email: str
    reply: str


@workflow.defn
class CandidateEchoWorkflow:
    """Input and result both hold the candidate's data; the UI details name the candidate."""

    @workflow.run
    async def run(self, card: CandidateCard) -> str:
        workflow.set_current_details(f"Replying to {card.name}")
        return f"{card.name} <{card.email}> wrote: {card.reply}"
