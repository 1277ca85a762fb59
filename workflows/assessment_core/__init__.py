"""The AssessmentWorkflow's pure decision core (no Temporal imports): table, commands, wording, core."""

from workflows.assessment_core.commands import AssessmentCommand, AssessmentCommandKind, AssessmentOutcome
from workflows.assessment_core.core import AssessmentCore

__all__ = ["AssessmentCommand", "AssessmentCommandKind", "AssessmentCore", "AssessmentOutcome"]
