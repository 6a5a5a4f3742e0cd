"""The day's words: what each step of a turn says in its room, sends and writes down.

One table, so the actors' code holds what they do and this module what they say (each text
once). The texts are ``str.format`` templates over the task (``{task.title}``), the agent the
step addresses (``{to.slug}``) and the step's own fields (``{name}``, ``{n}``, ...);
``Talk.speak`` fills them in.
"""

from __future__ import annotations

from dataclasses import dataclass

from roboco_sql.models.enums import A2AMessageKind, JournalEntryType, NotificationType

J, N = JournalEntryType, NotificationType
RESPONSE = A2AMessageKind.RESPONSE


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification to the agent the step addresses."""

    kind: NotificationType
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A journal entry of the speaker's."""

    kind: JournalEntryType
    title: str
    content: str


@dataclass(frozen=True, slots=True)
class Words:
    """One step's words, each part optional, in the order said, sent, written down. The
    message goes to the agent it names (``@{to.slug}``), else as ``Talk.say`` routes it."""

    say: str = ""
    kind: A2AMessageKind = A2AMessageKind.MESSAGE
    notice: Notice | None = None
    entry: Entry | None = None


# -- the board ------------------------------------------------------------------------------------

PITCH = Words("Pitch: Robo {name}. {pitch.problem} {pitch.proposed_solution}", RESPONSE)
PITCH_APPROVED = Words(
    "Approved Robo {name}. Start with the design.",
    RESPONSE,
    entry=Entry(
        J.DECISION_LOG,
        "Approved the {name} pitch",
        "Approved Robo {name}: the support tickets make the case, and three cells can ship it "
        "in a day if UX/UI leads. Provisioned one project per cell.",
    ),
)

# -- developers -----------------------------------------------------------------------------------

FOR_QA = Words(
    "'{task.title}' is ready for QA (PR #{task.pr_number}). @{to.slug}",
    notice=Notice(N.REVIEW_REQUEST, "QA please: {task.title}", "Branch {task.branch_name}"),
)
BUILT = Words(
    entry=Entry(
        J.TASK_REFLECTION,
        "Built {task.title}",
        "Built {task.title} on branch {task.branch_name}. Small commits and an early pull "
        "request kept the review short; next time I will write the acceptance tests before "
        "the code.",
    )
)
REWORKED = Words(
    entry=Entry(
        J.STRUGGLE,
        "Reworked {task.title}",
        "Reworked {task.title} on branch {task.branch_name}. The review sent it back for "
        "revision; I fixed what was found and added a test so the same edge case cannot slip "
        "through again.",
    )
)

# -- reviewers ------------------------------------------------------------------------------------

QA_FAILED = Words(
    "'{task.title}' goes back: it overflows at 320 px. @{to.slug}",
    notice=Notice(
        N.TASK_ASSIGNMENT, "Revision: {task.title}", "QA found a layout overflow at 320 px."
    ),
    entry=Entry(
        J.LEARNING,
        "Narrow screens break {task.title}",
        "Testing {task.title} I found the layout overflows at 320 px. Lesson: start every QA "
        "pass at the narrowest supported width, where overflow bugs show first, and ask "
        "designers for the breakpoints up front.",
    ),
)
QA_PASSED = Words(
    "'{task.title}' passes QA.",
    notice=Notice(
        N.DOCUMENTATION_REQUEST, "Docs please: {task.title}", "QA passed; the behaviour is final."
    ),
    entry=Entry(
        J.TASK_REFLECTION,
        "QA passed {task.title}",
        "Verified {task.title} against every acceptance criterion: happy path, empty states, "
        "errors and the narrow layout. The checklist from the last revision paid off again.",
    ),
)
DOCUMENTED = Words(
    "Docs for '{task.title}' are in.",
    notice=Notice(
        N.REVIEW_REQUEST, "PR review: {task.title}", "PR #{task.pr_number}, docs included."
    ),
    entry=Entry(
        J.GENERAL,
        "Documented {task.title}",
        "Wrote the user guide and the changelog entry for {task.title}. Screenshots come from "
        "the QA run, so they match what ships; the how-to leads with the most common task.",
    ),
)


def _pr_reviewed(verdict: str) -> Entry:
    return Entry(
        J.DECISION_LOG,
        "Reviewed PR #{task.pr_number}",
        "Reviewed PR #{task.pr_number} for {task.title} and " + verdict + ". I read the tests "
        "first, then the diff, and checked the queries the change adds.",
    )


PR_CHANGES = Words(
    notice=Notice(
        N.TASK_ASSIGNMENT,
        "PR changes requested: {task.title}",
        "The list endpoint issues one query per row; batch it.",
    ),
    entry=_pr_reviewed("requested changes: the list endpoint issues one query per row"),
)
PR_APPROVED = Words(
    notice=Notice(
        N.REVIEW_REQUEST, "Ready for PM review: {task.title}", "PR #{task.pr_number} approved."
    ),
    entry=_pr_reviewed("approved it: small diff, tests cover the new paths"),
)

# -- the cell PMs ---------------------------------------------------------------------------------

ANSWERED = Words("Yes: keep the old endpoint until the rollout reaches 100%.", RESPONSE)


def _pm_reviewed(verdict: str) -> Entry:
    return Entry(
        J.DECISION_LOG,
        "PM review of {task.title}",
        "Reviewed {task.title} against the acceptance criteria and " + verdict + ". Reviewing "
        "in the morning and after lunch keeps the queue short.",
    )


PM_REJECTED = Words(
    "'{task.title}' goes back: the empty state copy is off. @{to.slug}",
    notice=Notice(
        N.TASK_ASSIGNMENT, "Not yet: {task.title}", "The empty state copy does not match the spec."
    ),
    entry=_pm_reviewed("sent it back: the empty state copy does not match the spec"),
)
PM_ACCEPTED = Words(entry=_pm_reviewed("accepted it and merged the PR"))
CELL_CLOSED = Words(
    "'{task.title}' is done: {n} subtasks closed.",
    RESPONSE,
    entry=Entry(
        J.TASK_REFLECTION,
        "Closed {task.title}",
        "All {n} subtasks of {task.title} are closed. The spike was descoped in the morning, "
        "which kept the cell on the critical path.",
    ),
)

# -- the Main PM and the CEO ----------------------------------------------------------------------

DECIDED = Words("Decision for '{task.title}': the standard storage tier.", RESPONSE)
ESCALATED = Words(
    "'{task.title}' changes what customers are billed; it needs your approval. @{to.slug}",
    notice=Notice(
        N.APPROVAL,
        "Approval needed: {task.title}",
        "PR #{task.pr_number}; QA, docs and review passed.",
    ),
    entry=Entry(
        J.DECISION_LOG,
        "Escalated {task.title}",
        "Escalated {task.title} to the CEO: it changes what customers are billed, which is "
        "the board's call, not the cell's.",
    ),
)
SHIPPED = Words(
    entry=Entry(
        J.TASK_REFLECTION,
        "Shipped {feature}",
        "{feature} shipped across all three cells today. UX/UI went first, backend and "
        "frontend followed on its design; one escalation, no slips.",
    )
)
APPROVED = Words(
    "Approved '{task.title}'. Ship it.",
    RESPONSE,
    entry=Entry(
        J.DECISION_LOG,
        "Approved {task.title}",
        "Approved {task.title}: the pricing change is reversible and the billing tests cover "
        "the edge cases the board asked about.",
    ),
)
