"""Forms of the move-in pages: ``cases`` (the case and its steps), ``moveout`` (move-out and
transfer), ``setup`` (checklist and first fees)."""
