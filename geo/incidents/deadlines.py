"""Time limits per stage (督办): which stage a case is in, when it is due, its mark
(green, yellow once a share of the stage's time is used, red when overdue) and the
dispatcher's queue group. The limits come from the mediation policy file; the stage's
start, warning and due times are stored on the incident (``restage`` keeps them right)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.mediation.categories import MEDIATED_SQL
from geo.mediation.policy import LEVELS, get_policy

# The stage each status is in; other statuses (closed, and public-safety events) have no deadline.
STAGE_OF_STATUS = {"registered": "accept", "escalated": "accept", "accepted": "conclude", "mediating": "conclude",
                   "agreement": "follow_up", "follow_up": "follow_up"}
STAGES = ("accept", "conclude", "follow_up")
MARKS = ("green", "yellow", "red")
# The queue's groups, each case in the first that fits.
GROUPS = ("overdue", "due_soon", "unassigned", "new", "in_mediation", "follow_up", "police", "closed")


def _statuses(stage: str) -> str:
    return ", ".join(f"'{s}'" for s, st in STAGE_OF_STATUS.items() if st == stage)


def stage_sql(alias: str = "") -> str:
    """The stage of an incident (NULL: no deadline runs)."""
    a = alias
    return (f"CASE WHEN NOT {MEDIATED_SQL.format(alias=a)} THEN NULL "
            + " ".join(f"WHEN {a}status IN ({_statuses(s)}) THEN '{s}'" for s in STAGES) + " END")


def mark_sql(alias: str = "") -> str:
    a = alias
    return (f"CASE WHEN {a}stage_due_at IS NULL THEN NULL WHEN {a}stage_due_at < now() THEN 'red' "
            f"WHEN {a}stage_warn_at <= now() THEN 'yellow' ELSE 'green' END")


def overdue_sql(alias: str = "") -> str:
    """True for a case whose stage's time is up (red)."""
    return f"coalesce({alias}stage_due_at < now(), false)"


def group_sql(alias: str = "") -> str:
    a = alias
    return f"""CASE WHEN NOT {MEDIATED_SQL.format(alias=a)} THEN CASE WHEN {a}status = 'registered' THEN 'police'
                                                               ELSE 'closed' END
                WHEN {a}stage_due_at IS NULL THEN 'closed'
                WHEN {a}stage_due_at < now() THEN 'overdue'
                WHEN {a}stage_warn_at <= now() THEN 'due_soon'
                WHEN {a}mediator_id IS NULL THEN 'unassigned'
                WHEN {a}status IN ({_statuses('accept')}) THEN 'new'
                WHEN {a}status IN ({_statuses('follow_up')}) THEN 'follow_up'
                ELSE 'in_mediation' END"""


def restage(session: Session, where: str, params: dict) -> None:
    """Recompute the due and warning times of the stage each incident matching ``where``
    is in, from its ``stage_started_at`` (when it entered the stage) and the policy."""
    limits = get_policy().deadlines
    hours = " ".join(f"WHEN '{level}' THEN CAST(:h_{level} AS float)" for level in LEVELS)
    due = f"""(CASE {stage_sql()}
                 WHEN 'accept' THEN stage_started_at + make_interval(secs => 3600 * CASE responsible_level {hours} END)
                 WHEN 'conclude' THEN due_at
                 WHEN 'follow_up' THEN stage_started_at + make_interval(days => :follow_up_days) END)"""
    session.execute(text(f"""UPDATE incidents SET stage_due_at = {due},
                                    stage_warn_at = stage_started_at + ({due} - stage_started_at) * :share
                              WHERE {where}"""),
                    {**params, **{f"h_{level}": h for level, h in limits.accept_hours.items()},
                     "follow_up_days": limits.follow_up_days, "share": limits.warn_share})
