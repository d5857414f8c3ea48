"""Alembic revisions by name, for tests of one migration: upgrade to the one before, add rows."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask_migrate import Config


def scripts(app) -> ScriptDirectory:
    directory = app.extensions["migrate"].directory
    config = Config(directory + "/alembic.ini")
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config)


def revision_before(app, revision: str) -> str:
    """Return the revision that `revision` upgrades from."""
    return scripts(app).get_revision(revision).down_revision
