"""The built-in tests: short multiple-choice quizzes, scored as percent correct (deterministic).

Each test also has a fixed reference cohort of earlier scores, so the percentile of a score is
deterministic too (the share of the cohort below it, ties counted half).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

MAX_SCORE = 100.0


class Question(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt: str
    options: tuple[str, ...]
    answer: int = Field(ge=0, description="Index of the correct option.")


class SandboxTest(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    duration_minutes: int
    questions: tuple[Question, ...]
    cohort: tuple[float, ...]

    def summary(self) -> dict[str, object]:
        """The `GET /api/tests` item; `questions` is a count (the answers stay on the server)."""
        return {
            "id": self.id,
            "name": self.name,
            "duration_minutes": self.duration_minutes,
            "max_score": MAX_SCORE,
            "questions": len(self.questions),
        }


class Scored(BaseModel):
    model_config = ConfigDict(frozen=True)

    score: float
    percentile: float
    correct: tuple[bool, ...]


TESTS: tuple[SandboxTest, ...] = (
    SandboxTest(
        id="python-basics",
        name="Python basics",
        duration_minutes=15,
        questions=(
            Question(prompt="What does len([1, [2, 3]]) return?", options=("1", "2", "3"), answer=1),
            Question(
                prompt="Which of these is immutable?", options=("list", "dict", "tuple", "set"), answer=2
            ),
            Question(prompt="What does 7 // 2 evaluate to?", options=("3.5", "3", "4", "an error"), answer=1),
            Question(
                prompt="Which keyword defines a generator's next value?",
                options=("return", "yield", "await", "next"),
                answer=1,
            ),
        ),
        cohort=(25, 50, 50, 50, 75, 75, 75, 75, 100, 100),
    ),
    SandboxTest(
        id="sql-fundamentals",
        name="SQL fundamentals",
        duration_minutes=15,
        questions=(
            Question(
                prompt="Which clause filters groups after aggregation?",
                options=("WHERE", "HAVING", "GROUP BY", "ORDER BY"),
                answer=1,
            ),
            Question(
                prompt="What does COUNT(column) skip?", options=("zeros", "NULLs", "duplicates"), answer=1
            ),
            Question(
                prompt="Which join keeps every row of the left table?",
                options=("INNER JOIN", "LEFT JOIN", "CROSS JOIN"),
                answer=1,
            ),
        ),
        cohort=(0, 33.3, 33.3, 66.7, 66.7, 66.7, 100, 100),
    ),
    SandboxTest(
        id="system-design-lite",
        name="System design lite",
        duration_minutes=20,
        questions=(
            Question(
                prompt="What makes a retried request safe to repeat?",
                options=("a faster network", "an idempotency key", "a bigger timeout"),
                answer=1,
            ),
            Question(
                prompt="Where should a read-heavy, rarely changing value live?",
                options=("a cache", "a queue", "a lock"),
                answer=0,
            ),
            Question(
                prompt="What does a message queue decouple?",
                options=("producers from consumers", "reads from indexes", "DNS from TLS"),
                answer=0,
            ),
            Question(
                prompt="Which failure does a circuit breaker contain?",
                options=("a slow or failing dependency", "a typo", "disk encryption"),
                answer=0,
            ),
            Question(
                prompt="What does horizontal scaling add?",
                options=("bigger machines", "more machines", "more threads per core"),
                answer=1,
            ),
        ),
        cohort=(20, 40, 40, 60, 60, 60, 80, 80, 100),
    ),
)
BY_ID: Mapping[str, SandboxTest] = {test.id: test for test in TESTS}


def percentile(test: SandboxTest, score: float) -> float:
    below = sum(1 for other in test.cohort if other < score)
    equal = sum(1 for other in test.cohort if other == score)
    return round(100.0 * (below + 0.5 * equal) / len(test.cohort), 1)


def score(test: SandboxTest, answers: Mapping[int, int]) -> Scored:
    """`answers` maps question index to chosen option index; unanswered questions count as wrong."""
    correct = tuple(answers.get(i) == q.answer for i, q in enumerate(test.questions))
    value = round(MAX_SCORE * sum(correct) / len(test.questions), 1)
    return Scored(score=value, percentile=percentile(test, value), correct=correct)
