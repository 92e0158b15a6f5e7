"""Operator commands: ``flask --app grannsamverkan users create|seed-demo|...``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from grannsamverkan.errors import DomainError
from grannsamverkan.extensions import db
from grannsamverkan.models.user import ROLES
from grannsamverkan.services import accounts, permissions

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
    help="Municipality code (e.g. 0884) a police account serves; repeatable.",
)
def create_user_command(
    email: str, password: str, name: str, role: str, municipalities: tuple[str, ...]
) -> None:
    """Create an account (police and admin accounts are made only this way)."""
    from grannsamverkan.schemas.accounts import RegisterSchema
    from grannsamverkan.schemas.areas import MUNICIPALITY_CODE

    errors = RegisterSchema().validate({"email": email, "password": password, "name": name})
    for code in municipalities:
        try:
            MUNICIPALITY_CODE(code)
        except Exception as exc:  # noqa: BLE001 - marshmallow ValidationError
            errors.setdefault("municipality", []).append(f"{code}: {exc}")
    if permissions.role_serves_municipalities(role) and not municipalities:
        errors["municipality"] = ["A police account serves at least one municipality."]
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
    db.session.commit()
    click.echo(f"created {role} account {user.id} <{user.email}>")


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

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if metrics_port:
        worker.serve_metrics(metrics_port, metrics_address)
    if app.config["GSV_REDIS_URL"]:
        worker.run_rq_worker(app, burst=burst)
    else:
        worker.run_polling_worker(app, burst=burst)


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(push_cli)
    app.cli.add_command(purge_command)
    app.cli.add_command(check_command)
