"""Forms of the jobs pages."""

from flask_wtf import FlaskForm


class RerunForm(FlaskForm):
    """Run an interrupted or failed job again (a button, its CSRF token only)."""
