"""Four eyes before a boundary change takes effect: a draft is submitted for review with what
it changes, then approved by someone who did not make it, or sent back with comments.

Grid boundaries decide who answers for which households, so with GRID_PUBLISH_REVIEW=required
(the default) only an approved draft is published. A submitted or approved draft cannot
change (edits, undo and import need a draft); sending it back makes it a draft again, and
its next submission is reviewed afresh; a draft with errors is not approved. Every step is
in the plan's review log (draft.summaries) and the audit log.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.areas.service import current_generation
from geo.audit.models import AuditEntry
from geo.audit.service import record
from geo.errors import Conflict, Invalid
from geo.planning.draft import get_plan
from geo.planning.models import Plan, PlanEdit, PlanReview
from geo.planning.publish import NotPublishable
from geo.planning.validate import validate

# action: (the statuses it is taken from, the status it leaves, whether a comment is required)
STEPS = {"submit": (("draft",), "submitted", True),
         "approve": (("submitted",), "approved", False),
         "return": (("submitted", "approved"), "draft", True)}


def makers(session: Session, plan: Plan) -> set[str]:
    """Who made the draft: its author, whoever edited it or set its villages' targets (they
    decide which grids are out of range), and whoever submitted it."""
    edited = session.scalars(select(PlanEdit.actor).where(PlanEdit.plan_id == plan.id, PlanEdit.seq <= plan.applied))
    submitted = session.scalars(select(PlanReview.actor).where(PlanReview.plan_id == plan.id,
                                                               PlanReview.action == "submit"))
    targeted = session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "plan",
                                                              AuditEntry.entity_id == str(plan.id),
                                                              AuditEntry.action == "set_targets"))
    return {plan.created_by, *edited, *submitted, *targeted}


def step(session: Session, plan_id: int, action: str, *, actor: str, note: str | None = None) -> Plan:
    """Take one review step (STEPS): a stale plan is not submitted or approved; whoever approves
    did not make it; a maker may take a submission back (return) as a reviewer may send it back."""
    allowed, after, needs_note = STEPS[action]
    plan = get_plan(session, plan_id, for_update=True)
    if plan.status not in allowed:
        raise Conflict("plan {plan_id} is {status}: {action} is for a plan that is {allowed}", field="plan_id",
                       plan_id=plan.id, status=plan.status, action=action, allowed=" / ".join(allowed))
    note = (note or "").strip()
    if needs_note and not note:
        raise Invalid("say what the draft changes (submit) or what to fix (return)", field="note")
    if action in ("submit", "approve") and plan.base_generation != current_generation(session):
        raise Conflict("plan {plan_id} is stale: another generation was published since its base; rebase it or "
                       "open a new draft", field="plan_id", plan_id=plan.id)
    if action == "approve" and actor in makers(session, plan):
        raise Conflict("{actor} made this draft: another planner or an admin reviews it", field="actor", actor=actor)
    if action == "approve" and (report := validate(session, plan))["errors"]:
        raise NotPublishable("the draft has {errors} errors; see the report", report, errors=report["errors"])
    before = plan.status
    plan.status = after
    session.add(PlanReview(plan_id=plan.id, action=action, actor=actor, note=note, edit=plan.applied))
    session.flush()
    record(session, actor=actor, action=f"review_{action}", entity="plan", entity_id=plan.id,
           before={"status": before}, after={"status": after, "edit": plan.applied, "note": note})
    return plan
