"""flask commands: demo data, accounts, bill runs and verifying the hash chains."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app

from frontdesk import planner
from frontdesk.extensions import db
from frontdesk.money import format_money


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Load only into a database without estates.")
def demo_data(if_empty: bool) -> None:
    """Load the demo estate 示例花园 and one user per role."""
    from frontdesk.models import Estate
    from frontdesk.services import demo
    from frontdesk.services.demo.complaints import load_demo_complaints
    from frontdesk.services.demo.duty import load_demo_duty
    from frontdesk.services.demo.movein import load_demo_movein
    from frontdesk.services.demo.workorders import load_demo_workorders

    if if_empty and db.session.scalar(sa.select(sa.func.count(Estate.id))):
        click.echo("Database already holds data; demo data not loaded.")
        return
    if demo.demo_exists():
        click.echo(f"Demo estate {demo.DEMO_ESTATE} already exists.")
        return
    logins = demo.load_demo()
    finance = demo.load_demo_finance()
    cabinet = demo.load_demo_keys()
    repairs = load_demo_workorders()
    duty = load_demo_duty(db.session.scalar(sa.select(Estate).where(
        Estate.name == demo.DEMO_ESTATE)))
    campaign = load_demo_movein()
    desk_day = load_demo_complaints()
    planner.analyze(db.session)  # statistics for the planner (SQLite has none until now)
    click.echo(f"Billed {finance['periods']} months ({finance['lines']} bill lines) and "
               f"took {finance['payments']} demo payments; registered {cabinet['keys']} "
               f"keys, {cabinet['deposited']} in custody, {cabinet['lent']} on loan; "
               f"logged {duty['entries']} duty entries in {duty['shifts']} shifts.")
    click.echo(f"Gave the crew of {repairs['engineers']} engineers {repairs['orders']} work "
               f"orders ({repairs['billed']} chargeable repairs billed).")
    click.echo(f"Building 10 is moving in: {campaign['handed_over']} units handed over, "
               f"{campaign['in_progress']} in progress ({campaign['defects']} defects), "
               f"{campaign['units'] - campaign['handed_over'] - campaign['in_progress']} "
               "not started.")
    click.echo(f"Registered {desk_day['complaints']} complaints in every step and "
               f"{desk_day['visits']} visitors ({desk_day['inside']} still inside).")
    click.echo(f"Loaded demo estate {demo.DEMO_ESTATE}. "
               f"Logins (password {demo.DEMO_PASSWORD}):")
    for username, role in logins.items():
        click.echo(f"  {username:<10} {role}")
    click.echo(f"  {'eng1…eng5':<10} engineering")


@click.command("create-admin")
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
                                    "password": password}, {estate: ["admin"]})
    except DomainError as e:
        raise click.ClickException(str(e.message)) from None
    click.echo(f"Created administrator {username}.")


@click.command("bill-run")
@click.option("--estate", "estate_id", type=int, required=True, help="Estate ID.")
@click.option("--period", required=True, help="Billing period YYYY-MM.")
@click.option("--building", "building_id", type=int, help="Only this building (ID).")
@click.option("--post", is_flag=True, help="Post the bills; without it only a preview.")
def bill_run(estate_id: int, period: str, building_id: int | None, post: bool) -> None:
    """Preview (and with --post, post) the bills of a period for an estate or a building."""
    from flask_babel import force_locale

    from frontdesk.models import Building, Estate
    from frontdesk.services import DomainError
    from frontdesk.services.fees import billing

    estate = db.session.get(Estate, estate_id)
    if estate is None:
        raise click.ClickException(f"No estate with ID {estate_id}.")
    building = db.session.get(Building, building_id) if building_id else None
    if building_id and (building is None or building.estate_id != estate.id):
        raise click.ClickException(f"No building {building_id} in estate {estate_id}.")
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            with click.progressbar(length=1 if building else len(estate.buildings),
                                   label="Buildings") as bar:
                preview = billing.preview_bill_run(
                    estate, period, building, progress=lambda done, total: bar.update(1))
            _echo_preview(estate, preview)
            if post:
                run = billing.post_bill_run(None, estate, period, building)
                click.echo(f"Posted bill run {run.id}: {run.lines} lines, "
                           f"{format_money(run.total)} in all.")
        except billing.NothingToPost as e:
            click.echo(str(e.message))
        except DomainError as e:
            raise click.ClickException(str(e.message)) from None


def _echo_preview(estate, preview) -> None:
    """Print a bill run's preview: totals by building and by item, held lines, problems."""
    names = {i.id: i.name for i in preview.items}
    click.echo(f"{estate.name} {preview.period}: {preview.total.lines} new lines, "
               f"{format_money(preview.total.amount)} in all; "
               f"{preview.already_billed} already billed.")
    if preview.total.held:
        click.echo(f"Held (flagged readings not reviewed, not posted): "
                   f"{preview.total.held} lines, {format_money(preview.total.held_amount)}.")
    for b in preview.buildings:
        t = preview.by_building[b.id]
        click.echo(f"  {b.label:<12} {t.lines:>7} lines {t.amount:>16,.2f}")
    for item_id, t in preview.by_item.items():
        click.echo(f"  {names[item_id]:<12} {t.lines:>7} lines {t.amount:>16,.2f}")
    click.echo(f"Problems: {len(preview.problems)}")
    for p in preview.problems:
        click.echo(f"  {p.where} {p.fee_item}: {p.message}")


@click.command("verify-chains")
@click.option("--estate", "estate_id", type=int, help="Check one estate only (ID).")
@click.option("--head", "heads", multiple=True, metavar="LABEL:HASH",
              help="A chain head as printed on the daily report (收费日报), e.g. "
                   "SJ2026-000123:3f9a…; at least 16 hex digits. May be repeated.")
def verify_chains(estate_id: int | None, heads: tuple[str, ...]) -> None:
    """Walk every hash chain (receipts, key loans …) and name every altered record."""
    from frontdesk.services import chain

    try:
        report = chain.verify(estate_id=estate_id, heads=heads)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--head") from None
    _echo_chain_report(chain, report)
    if not report.ok:
        raise SystemExit(1)


def _echo_chain_report(chain, report) -> None:
    """Print each chain's verdict, every altered record and every printed head checked."""
    from frontdesk.models import Estate

    def estate_name(problem) -> str:
        estate = db.session.get(Estate, problem.estate_id) if problem.estate_id else None
        return f"estate {estate.name}, " if estate else ""

    for spec in chain.registered():
        problems = report.problems_of(spec.name)
        if not problems:
            click.echo(f"OK: {report.records[spec.name]} {spec.plural} in "
                       f"{report.estates(spec.name)} estates verified "
                       f"({report.link_count(spec.name)} links).")
        for p in problems:
            record = f"id {p.record_id}" if p.record_id else "row gone"
            click.echo(f"ALTERED: {spec.noun} {p.label} ({estate_name(p)}{record}): "
                       f"{p.message}.")
    for p in report.problems:
        if not p.chain or p.chain not in {c.name for c in chain.registered()}:
            click.echo(f"ALTERED: {p.label or p.chain or 'printed head'}: {p.message}.")
    for h in report.heads:
        noun = chain.chain_named(h.entry.chain).noun
        click.echo(f"HEAD OK: {h.printed.text} is {noun} {h.entry.label} "
                   f"(link {h.entry.seq}); {h.later} links chained since.")


@click.command("purge-visitors")
@click.option("--days", type=int, default=None,
              help="Keep this many days (default: FRONTDESK_VISITOR_RETENTION_DAYS, 180).")
def purge_visitors(days: int | None) -> None:
    """Delete visitor records older than the retention, estate by estate; each purge audited."""
    from frontdesk.services.keys.loans import clock
    from frontdesk.services.visitors import visits

    try:
        keep = days if days is not None else visits.retention_days(current_app.config)
        done = visits.purge(clock(current_app.config), keep)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    for p in done:
        click.echo(f"{p.estate_name}: {p.count} visitor records before "
                   f"{p.cutoff:%Y-%m-%d %H:%M} UTC deleted.")
    click.echo(f"Purged {sum(p.count for p in done)} visitor records "
               f"(kept the last {keep} days).")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting, then stop.")
@click.option("--no-fork", is_flag=True,
              help="Run each job in this process instead of a forked work-horse.")
def worker(burst: bool, no_fork: bool) -> None:
    """Run an RQ worker for this app's job queue (bill runs, notices, imports); needs REDIS_URL."""
    from frontdesk.jobqueue import run_worker

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL (FRONTDESK_REDIS_URL) is not set: without Redis, "
                                   "jobs run in the web process and need no worker.")
    click.echo(f"Working queue {app.config['JOBS_QUEUE']}.")
    run_worker(app, burst=burst, fork=not no_fork)


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    for command in (demo_data, create_admin, bill_run, verify_chains, purge_visitors, worker):
        app.cli.add_command(command)
    #: the chain check's first name, kept for scripts and habits
    app.cli.add_command(verify_chains, "verify-receipts")
