"""The SQL table of Assessment Partner API errors: what Greenhouse reported to `response_error`, and the
`send_test` calls Hireflow refused (no application id in the profile url).

Rows carry ids and the error text only (email addresses in it are masked before it is stored): enough
for an operator to act, no candidate data. Kept in the shared SQLModel metadata, so `init_db` creates it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from models.store import UTCDateTime

PartnerErrorSource = Literal["greenhouse", "hireflow"]


class PartnerApiError(SQLModel, table=True):
    """One error of the Partner API exchange; `workflow_id` when it names one of our assessments."""

    __tablename__ = "partner_api_error"

    id: int | None = Field(default=None, primary_key=True)
    reported_by: str = Field(max_length=20, description="greenhouse (response_error) or hireflow (refused).")
    api_call: str = Field(max_length=100)
    workflow_id: str | None = Field(default=None, max_length=200, index=True)
    partner_test_id: str | None = Field(default=None, max_length=128)
    detail: str = Field(max_length=4000)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
