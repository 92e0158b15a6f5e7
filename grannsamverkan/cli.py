"""Operator commands: ``flask --app grannsamverkan users create|seed-demo|...``."""

from __future__ import annotations

import faulthandler
import logging
import signal
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from grannsamverkan.errors import DomainError
from grannsamverkan.extensions import db
from grannsamverkan.models.user import ROLES
from grannsamverkan.schema_version import migrations_directory
from grannsamverkan.services import accounts, permissions

log = logging.getLogger(__name__)

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option(
    "--password", required=True, help="At least 10 characters, and hard to guess (zxcvbn)."
)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="resident", show_default=True)
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    help="Municipality code (e.g. 0884) a police, municipality or statistics account acts in; "
    "repeatable.",
)
@click.option(
    "--lead",
    is_flag=True,
    help="A police account that leads its municipalities' police: reads their audit trail.",
)
def create_user_command(  # noqa: PLR0913 - one parameter per click option
    email: str, password: str, name: str, role: str, municipalities: tuple[str, ...], lead: bool
) -> None:
    """Create an account (police, municipality, statistics and admin accounts are made only
    this way)."""
    from grannsamverkan.schemas.accounts import RegisterSchema
    from grannsamverkan.schemas.areas import MUNICIPALITY_CODE

    errors = RegisterSchema().validate({"email": email, "password": password, "name": name})
    for code in municipalities:
        try:
            MUNICIPALITY_CODE(code)
        except Exception as exc:  # noqa: BLE001 - marshmallow ValidationError
            errors.setdefault("municipality", []).append(f"{code}: {exc}")
    if permissions.role_serves_municipalities(role) and not municipalities:
        errors["municipality"] = [f"A {role} account acts in at least one municipality."]
    if not permissions.role_serves_municipalities(role) and municipalities:
        errors["municipality"] = [f"A {role} account has no municipalities."]
    if lead and not permissions.is_police_role(role):
        errors["lead"] = ["Only a police account leads its municipalities' police."]
    if errors:
        raise click.ClickException(f"invalid input: {errors}")
    try:
        user = accounts.create_user(
            email=email,
            password=password,
            name=name,
            role=role,
            municipality_codes=list(municipalities),
        )
    except DomainError as exc:  # the e-mail is taken, or the password easy to guess
        raise click.ClickException(exc.detail) from exc
    if lead:
        accounts.set_police_lead(user, lead=True, actor=None)
    db.session.commit()
    click.echo(f"created {role} account {user.id} <{user.email}>" + (" (police lead)" * lead))


@users_cli.command("set-lead")
@click.argument("email")
@click.option("--off", is_flag=True, help="Take the police lead away instead.")
def set_lead_command(email: str, off: bool) -> None:
    """Make a police account the lead of its municipalities' police (or not, with --off):
    the lead reads the audit trail of what happens in them. Audited."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail address {email}")
    try:
        accounts.set_police_lead(user, lead=not off, actor=None)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    db.session.commit()
    click.echo(
        f"account {user.id} <{user.email}> " + ("is no police lead" if off else "is police lead")
    )


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the Vimmerby demo data set and print the demo logins."""
    from grannsamverkan.demo import seed_demo

    for line in seed_demo():
        click.echo(line)


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete data past its retention period (GSV_RETENTION_DAYS) and stale devices."""
    from flask import current_app

    from grannsamverkan.models.types import utcnow
    from grannsamverkan.services.retention import purge

    deleted = purge(now=utcnow(), retention_days=current_app.config["GSV_RETENTION_DAYS"])
    db.session.commit()
    click.echo(", ".join(f"{count} {what}" for what, count in deleted.items()) + " deleted")


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the configuration before starting: secret key, FCM credentials, database and
    migrations, Redis, SMTP, public URL. Exits 1 when anything is wrong."""
    from flask import current_app

    from grannsamverkan.preflight import run_checks

    results = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    for name, problem in results:
        click.echo(f"ok       {name}" if problem is None else f"PROBLEM  {name}: {problem}")
    problems = sum(problem is not None for _, problem in results)
    if problems:
        click.echo(f"{problems} problem(s): fix them before starting the app.")
        raise SystemExit(1)
    click.echo("The configuration is ready.")


push_cli = AppGroup("push", help="Push delivery.")


@push_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once nothing is left to send.")
@click.option(
    "--metrics-port",
    type=int,
    help="Serve this process's metrics (all of PROMETHEUS_MULTIPROC_DIR's when set) on "
    "http://ADDRESS:PORT/ for Prometheus.",
)
@click.option(
    "--metrics-address",
    default="127.0.0.1",
    show_default=True,
    help="The address --metrics-port listens on (a private one for a Prometheus elsewhere).",
)
def push_worker_command(burst: bool, metrics_port: int | None, metrics_address: str) -> None:
    """Run a push dispatcher: an RQ worker when GSV_REDIS_URL is set, else a polling loop."""
    from flask import current_app

    from grannsamverkan.notify import worker
    from grannsamverkan.notify.runner import EXTENSION

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["GSV_APP_ROLE"] != "push":
        log.warning(
            "this push worker carries the API and the console (~20 MiB it never uses): "
            "start it with --app '%s'",
            worker.PUSH_WORKER_APP,
        )
    # `kill -USR1 <pid>` prints every thread's stack to stderr: what a stuck worker is doing.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if metrics_port:
        worker.serve_metrics(metrics_port, metrics_address)
    # Made now: a wrong GSV_PUSH_* setting stops the worker at start-up (as a wrong mail or
    # SMS setting does), and the sender's libraries belong to the heap frozen next.
    app.extensions[EXTENSION].sender  # noqa: B018 - made for its side effects
    worker.freeze_start_up_heap()
    if app.config["GSV_REDIS_URL"]:
        worker.run_rq_worker(app, burst=burst)
    else:
        worker.run_polling_worker(app, burst=burst)


digest_cli = AppGroup("digest", help="The weekly digest by e-mail.")


@digest_cli.command("send")
def send_digests_command() -> None:
    """Queue this week's digests still owed (the dispatcher also does, from Monday 07:00);
    a person gets one a week however often this runs. The outbox sends them."""
    from grannsamverkan.services.digests import send_all_due_digests

    handled = send_all_due_digests()
    click.echo(f"{handled} people handled (those with nothing to tell get no e-mail)")


import_cli = AppGroup("import", help="Import outside data.")


@import_cli.command("police-events")
def import_police_events_command() -> None:
    """Import the police's public events for GSV_POLICE_EVENTS_MUNICIPALITIES now."""
    from flask import current_app

    from grannsamverkan.models.types import utcnow
    from grannsamverkan.services import police_events

    if not current_app.config.get("GSV_POLICE_EVENTS_MUNICIPALITIES"):
        raise click.ClickException("GSV_POLICE_EVENTS_MUNICIPALITIES is not set: nothing to import")
    try:
        report = police_events.import_police_events(current_app.config, now=utcnow())
    except police_events.PoliceFeedError as error:
        raise click.ClickException(f"the police events feed failed: {error}") from error
    db.session.commit()
    click.echo(f"police events: {report.summary()}")


open311_cli = AppGroup("open311", help="Open311 forwarding of tips to municipalities.")


@open311_cli.command("poll")
def open311_poll_command() -> None:
    """Read back the status of forwarded tips now (the worker does it every GSV_OPEN311_POLL_S)."""
    from flask import current_app

    from grannsamverkan.models.types import utcnow
    from grannsamverkan.notify.open311 import make_client
    from grannsamverkan.notify.open311_status import read_back_statuses

    client = make_client(current_app.config)
    if not client.endpoints:
        raise click.ClickException("GSV_OPEN311 is not set: no municipality to ask")
    count = read_back_statuses(client, now=utcnow())
    click.echo(f"open311: {count} statuses read back")


class _MigrationCommands(click.Command):
    """``flask db ...``: Flask-Migrate's command group, imported and bound to the app only
    when it runs, so that Alembic, Mako and Pygments (~11 MiB resident) stay out of serving
    processes. Click builds a command's context before invoking it: from here on the real
    group parses its options and runs."""

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations (Flask-Migrate, Alembic).")
        self.app = app

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        bind_migrations(self.app)
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def bind_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to ``app``: ``flask db ...`` does it when it runs; code that
    migrates in process (tests, docs/make_screenshots.py) calls it before
    ``flask_migrate.upgrade()``."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(migrations_directory()), render_as_batch=True, compare_type=True)


def register(app: Flask) -> None:
    app.cli.add_command(_MigrationCommands(app))
    app.cli.add_command(users_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(open311_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(push_cli)
    app.cli.add_command(purge_command)
    app.cli.add_command(digest_cli)
    app.cli.add_command(check_command)
