"""The one table of a complaint's transitions: action → (the state it starts from, where it goes).

The seven steps of the handbooks' procedure: 登记 (register) → 调查 (investigate) → 处理意见
(propose) → 审批 (approve, a manager's; a manager may send the proposal back to be proposed
again) → 协商确认 (agree with the resident) → 落实 (carry out) → 回访 (callback): satisfied (3–5)
closes the complaint, unsatisfied (1–2) sends it back to be carried out again. Every verb of
:mod:`frontdesk.services.complaints.complaints` moves a complaint through :func:`check`, which
refuses any transition not in this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from frontdesk.services import DomainError


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    #: "staff" (complaints.handle) or "manager" (complaints.approve)
    actor: str = "staff"


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("investigate", "registered", "investigated"),
    Transition("propose", "investigated", "proposed"),
    Transition("approve", "proposed", "approved", "manager"),
    Transition("send_back", "proposed", "investigated", "manager"),
    Transition("agree", "approved", "agreed"),
    Transition("carry_out", "agreed", "carried_out"),
    Transition("callback", "carried_out", "closed"),
    Transition("reopen", "carried_out", "agreed"),
)}


def allowed(state: str, action: str) -> bool:
    """Tell whether an action may start from a state."""
    transition = TRANSITIONS.get(action)
    return transition is not None and transition.source == state


def actions_from(state: str) -> list[str]:
    """Return the actions that may start from a state."""
    return [t.action for t in TRANSITIONS.values() if t.source == state]


def check(action: str, state: str) -> Transition:
    """Return the transition of an action, or refuse it from this state."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(_l("There is no such step of a complaint."))
    if transition.source != state:
        if state == "closed":
            raise DomainError(_l("This complaint is closed."))
        if action in ("callback", "reopen"):
            raise DomainError(_l("A complaint is called back once it has been carried out; "
                                 "it is closed only by a satisfied callback."))
        raise DomainError(_l("This step cannot be taken now: the complaint is %(state)s.",
                             state=state_label(state)))
    return transition


def state_label(state: str):
    from frontdesk.labels import COMPLAINT_STATES

    return COMPLAINT_STATES.get(state, state)
