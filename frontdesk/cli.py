"""flask commands: demo data and account creation."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from frontdesk.extensions import db


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("demo-data")
    @click.option("--if-empty", is_flag=True, help="Load only into a database without estates.")
    def demo_data(if_empty: bool) -> None:
        """Load the demo estate 示例花园 and one user per role."""
        from frontdesk.models import Estate
        from frontdesk.services import demo

        if if_empty and db.session.scalar(sa.select(sa.func.count(Estate.id))):
            click.echo("Database already holds data; demo data not loaded.")
            return
        if demo.demo_exists():
            click.echo(f"Demo estate {demo.DEMO_ESTATE} already exists.")
            return
        logins = demo.load_demo()
        click.echo(f"Loaded demo estate {demo.DEMO_ESTATE}. Logins (password {demo.DEMO_PASSWORD}):")
        for username, role in logins.items():
            click.echo(f"  {username:<10} {role}")

    @app.cli.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--name", "full_name", required=True)
    @click.option("--estate", "estate_name", required=True, help="Estate name; created if new.")
    @click.password_option()
    def create_admin(username: str, full_name: str, estate_name: str, password: str) -> None:
        """Create an administrator (and the estate) on an empty installation."""
        from frontdesk.models import Estate
        from frontdesk.services import DomainError, accounts

        estate = db.session.scalar(sa.select(Estate).where(Estate.name == estate_name))
        if estate is None:
            estate = Estate(name=estate_name)
            db.session.add(estate)
        try:
            accounts.create_user(None, {"username": username, "full_name": full_name,
                                        "password": password, "roles": ["admin"]}, [estate])
        except DomainError as e:
            raise click.ClickException(str(e.message)) from None
        click.echo(f"Created administrator {username}.")
