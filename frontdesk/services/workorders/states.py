"""The one table of an order's transitions: action → (the states it starts from, where it goes).

Every verb of :mod:`frontdesk.services.workorders.orders` moves an order through :func:`move`,
which refuses a transition that is not in this table. Who may take an action is said by
``ACTORS``: the desk (intake, dispatch, callback, close, cancel), the assigned engineer (accept,
decline, start, pause, resume, complete) or an engineer of the order's team (take).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from frontdesk.models.workorders import OPEN_STATES
from frontdesk.services import DomainError


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    #: "desk" (dispatchers), "assignee" (the engineer it is assigned to), "team" (its team)
    actor: str
    #: whether a reason must be given
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("dispatch", ("pending", "dispatched"), "dispatched", "desk"),
    Transition("take", ("pending",), "accepted", "team"),
    Transition("accept", ("dispatched",), "accepted", "assignee"),
    Transition("decline", ("dispatched",), "pending", "assignee", needs_reason=True),
    Transition("start", ("accepted",), "in_progress", "assignee"),
    Transition("pause", ("in_progress",), "paused", "assignee", needs_reason=True),
    Transition("resume", ("paused",), "in_progress", "assignee"),
    Transition("complete", ("in_progress",), "completed", "assignee"),
    # a callback with 3–5 of 5 is satisfied; 1–2 reopens the order to its engineer
    Transition("callback", ("completed",), "called_back", "desk"),
    Transition("reopen", ("completed",), "dispatched", "desk"),
    Transition("close", ("called_back",), "closed", "desk"),
    Transition("cancel", OPEN_STATES, "cancelled", "desk", needs_reason=True),
)}


def allowed(state: str, target: str) -> bool:
    """Tell whether some action takes an order from one state to another."""
    return any(state in t.sources and t.target == target for t in TRANSITIONS.values())


def actions_from(state: str) -> list[str]:
    """Return the actions that may start from a state."""
    return [t.action for t in TRANSITIONS.values() if state in t.sources]


def check(action: str, state: str) -> Transition:
    """Return the transition of an action, or refuse it from this state."""
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        raise DomainError(_l("This cannot be done to an order that is %(state)s.",
                             state=state_label(state)))
    return transition


def state_label(state: str):
    from frontdesk.labels import WORK_ORDER_STATES

    return WORK_ORDER_STATES.get(state, state)
