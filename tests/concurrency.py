"""Run callables in threads of their own, released together, for the races tests provoke."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(targets: list[Callable[[threading.Barrier], object]], app=None,
                 timeout: float = 120) -> list:
    """Call each target with a shared barrier in its own thread and return their results.

    A target waits at the barrier when it is ready (after loading what it needs), so that all
    act at once. With `app`, each thread has an app context of its own, hence its own session.
    Any exception in a thread fails the caller.
    """
    from frontdesk.extensions import db

    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list = []

    def call(i, target):
        try:
            results[i] = target(barrier)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def run(i, target):
        if app is None:
            return call(i, target)
        with app.app_context():
            try:
                call(i, target)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not errors, errors
    return results
