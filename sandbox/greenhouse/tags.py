"""Candidate tags as three views of one fact: the `candidate_tags` dictionary, `applied_candidate_tags` rows,
and the `tags` name list on the candidate. Every write goes through here so the three never disagree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlmodel import Session

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.tables import pipe_index


def tag_by_name(session: Session, store: Store, name: str, when: datetime) -> t.CandidateTag:
    """The dictionary tag called `name` (case-insensitive), created if the org has none yet."""
    tag = (
        session.execute(select(t.CandidateTag).where(func.lower(t.CandidateTag.name) == name.lower()))
        .scalars()
        .first()
    )
    if tag is None:
        tag = t.CandidateTag(
            id=store.next_id(session, t.CandidateTag), created_at=when, updated_at=when, name=name
        )
        session.add(tag)
        session.flush()
    return tag


def applied_rows(session: Session, candidate_id: int) -> list[t.AppliedCandidateTag]:
    stmt = select(t.AppliedCandidateTag).where(t.AppliedCandidateTag.candidate_id == candidate_id)  # type: ignore[arg-type]
    return list(session.execute(stmt.order_by(t.AppliedCandidateTag.id)).scalars())  # type: ignore[arg-type]


def refresh_tag_names(session: Session, cand: t.Candidate, when: datetime) -> None:
    """Recompute `candidates.tags` from the applied rows (in the order they were applied)."""
    names = []
    for row in applied_rows(session, cand.id):
        tag = session.get(t.CandidateTag, row.candidate_tag_id)
        if tag is not None and tag.name not in names:
            names.append(tag.name)
    cand.tags = names
    cand.ix_tags = pipe_index(names)
    cand.updated_at = when
    session.add(cand)


def set_candidate_tags(
    session: Session, store: Store, cand: t.Candidate, names: list[str], when: datetime
) -> None:
    """Replace the candidate's tags with `names` (PATCH semantics: the collection is replaced)."""
    wanted = {tag_by_name(session, store, name, when).id for name in dict.fromkeys(names)}
    current = applied_rows(session, cand.id)
    for row in current:
        if row.candidate_tag_id not in wanted:
            session.delete(row)
    have = {row.candidate_tag_id for row in current}
    for tag_id in sorted(wanted - have):
        add_applied(session, store, cand.id, tag_id, when)
    session.flush()
    refresh_tag_names(session, cand, when)


def add_applied(
    session: Session, store: Store, candidate_id: int, tag_id: int, when: datetime
) -> t.AppliedCandidateTag:
    row = t.AppliedCandidateTag(
        id=store.next_id(session, t.AppliedCandidateTag),
        created_at=when,
        updated_at=when,
        candidate_tag_id=tag_id,
        candidate_id=candidate_id,
    )
    session.add(row)
    return row


def drop_candidate_tags(session: Session, candidate_id: int) -> None:
    session.execute(delete(t.AppliedCandidateTag).where(t.AppliedCandidateTag.candidate_id == candidate_id))  # type: ignore[arg-type]
