"""The stub phone app on the command line: ``python -m mobile_client_stub [...] COMMAND``.

Answers are printed as pretty JSON; a refused request prints the problem's detail (and its
field errors) on stderr and exits with status 1. ``login`` keeps the access token in the
token file (``--token-file``, $GSV_STUB_TOKEN_FILE, default ~/.grannsamverkan-stub-token),
which the other commands read. The server is ``--server`` or $GSV_STUB_SERVER; a password is
``--password``, $GSV_STUB_PASSWORD, or asked for when a terminal is attached.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests

from mobile_client_stub.client import ApiError, GrannsamverkanClient

DEFAULT_SERVER = "http://127.0.0.1:5000"
DEFAULT_TOKEN_FILE = "~/.grannsamverkan-stub-token"  # noqa: S105 - a path, not a secret


class UsageError(Exception):
    """Arguments argparse accepts but that do not make a request."""


# --- token file ---------------------------------------------------------------------------------


def read_token(path: Path) -> str | None:
    """The saved access token, or None."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return token or None


def save_token(path: Path, token: str) -> None:
    """Write the token readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")


# --- commands -----------------------------------------------------------------------------------


def _password(args: argparse.Namespace) -> str:
    """--password, else $GSV_STUB_PASSWORD, else asked for on the terminal."""
    if args.password is not None:
        return args.password
    if os.environ.get("GSV_STUB_PASSWORD"):
        return os.environ["GSV_STUB_PASSWORD"]
    if not sys.stdin.isatty():
        raise UsageError("no password: give --password or set GSV_STUB_PASSWORD")
    return getpass.getpass("Password: ")


def cmd_register(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.register(args.email, _password(args), args.name, locale=args.locale)


def cmd_login(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    answer = client.login(args.email, _password(args))
    save_token(args.token_path, answer["access_token"])
    # The token itself stays in the file, out of terminals and logs.
    return {
        "token_type": answer.get("token_type"),
        "expires_in": answer.get("expires_in"),
        "token_file": str(args.token_path),
    }


def cmd_logout(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    try:
        client.logout()
    except ApiError as error:
        if error.status != 401:
            raise
        # Expired or revoked already: signed out either way, so the file goes too.
        print("the saved token was no longer valid", file=sys.stderr)
    args.token_path.unlink(missing_ok=True)
    return None


def cmd_delete_account(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    if not args.yes:
        raise UsageError("this erases the account and everything stored about it; add --yes")
    client.delete_me()
    args.token_path.unlink(missing_ok=True)
    return None


def cmd_export(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.export_me()


def cmd_me(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.me()


def cmd_join(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.request_to_join(args.area_id)


def cmd_leave(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    client.remove_member(args.area_id, client.me()["id"])
    return None


def cmd_invite(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.create_invitation(args.area_id, email=args.email)


def _invitation_token(value: str) -> str:
    """The token itself, or with "-" the token read from stdin: bare, or the JSON ``invite``
    prints (so ``invite 1 | accept-invitation -`` works)."""
    if value != "-":
        return value
    text = sys.stdin.read().strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    if isinstance(parsed, dict) and isinstance(parsed.get("token"), str):
        return parsed["token"]
    raise UsageError("stdin holds neither a token nor the JSON that invite prints")


def cmd_accept_invitation(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    token = _invitation_token(args.token)
    if not token:
        raise UsageError("no invitation token")
    return client.accept_invitation(token)


def cmd_set_home(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    has_point = args.lat is not None or args.lon is not None
    forms = sum((has_point, args.address is not None, args.protected))
    if forms != 1:
        raise UsageError("give exactly one of --lat and --lon, --address, --protected")
    if has_point and (args.lat is None or args.lon is None):
        raise UsageError("give both --lat and --lon")
    return client.set_home(
        lat=args.lat, lon=args.lon, address=args.address, protected=args.protected
    )


def cmd_register_device(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.register_device(args.token, args.platform)


def cmd_remove_device(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    client.remove_device(args.token)
    return None


def cmd_tip(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    has_point = args.lat is not None or args.lon is not None
    if has_point == (args.address is not None):
        raise UsageError("give either --lat and --lon, or --address")
    if has_point and (args.lat is None or args.lon is None):
        raise UsageError("give both --lat and --lon")
    vehicle = {
        key: value
        for key, value in (
            ("registration", args.registration),
            ("description", args.vehicle_description),
        )
        if value is not None
    }
    return client.send_tip(
        args.category,
        args.description,
        lat=args.lat,
        lon=args.lon,
        address=args.address,
        observed_at=args.observed_at,
        vehicle=vehicle or None,
        idempotency_key=args.idempotency_key,
        traffic_kind=args.traffic_kind,
        time_of_day=args.time_of_day,
    )


def cmd_tips(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    filters = {"status": args.status, "category": args.category, "area_id": args.area_id}
    return client.list_tips(**filters, limit=args.limit, cursor=args.cursor)


def cmd_inbox(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.alerts(limit=args.limit, cursor=args.cursor)


def cmd_read(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.read_alert(args.alert_id)


def cmd_rsvp(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    if args.cancel:
        return client.cancel_rsvp(args.broadcast_id)
    return client.rsvp(args.broadcast_id)


def cmd_areas(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.list_areas(
        municipality_code=args.municipality, near=args.near, limit=args.limit, cursor=args.cursor
    )


def cmd_health(client: GrannsamverkanClient, args: argparse.Namespace) -> Any:
    return client.healthz()


# --- parser -------------------------------------------------------------------------------------


def _near(value: str) -> str:
    parts = value.split(",")
    try:
        if len(parts) != 2:
            raise ValueError(value)
        lat, lon = (float(part) for part in parts)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("use --near LAT,LON in decimal degrees") from exc
    return f"{lat},{lon}"


Add = Callable[[str, Callable[..., Any], str], argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m mobile_client_stub",
        description="A stand-in for the Grannsamverkan phone app.",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("GSV_STUB_SERVER", DEFAULT_SERVER),
        help=f"the API server's base URL (default: $GSV_STUB_SERVER or {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--token-file",
        default=os.environ.get("GSV_STUB_TOKEN_FILE", DEFAULT_TOKEN_FILE),
        help=f"where login keeps the access token (default: $GSV_STUB_TOKEN_FILE or "
        f"{DEFAULT_TOKEN_FILE})",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[..., Any], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    _account_commands(add)
    _area_commands(add)
    _tip_and_alert_commands(add)
    add("health", cmd_health, "check the server's /healthz")

    sub = commands.add_parser("push-sink", help="run an FCM look-alike push sink in the foreground")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8765)
    sub.set_defaults(handler=None)
    return parser


def _account_commands(add: Add) -> None:
    where_from = "default: $GSV_STUB_PASSWORD, or asked for on a terminal"
    sub = add("register", cmd_register, "create a resident account")
    sub.add_argument("--email", required=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("--password", help=where_from)
    sub.add_argument("--locale", choices=["sv", "en"])

    sub = add("login", cmd_login, "sign in and save the access token")
    sub.add_argument("--email", required=True)
    sub.add_argument("--password", help=where_from)

    add("logout", cmd_logout, "revoke the saved token and delete the token file")
    add("me", cmd_me, "show the profile, settings and memberships")
    add("export", cmd_export, "download everything stored about this account")
    sub = add("delete-account", cmd_delete_account, "erase this account (needs --yes)")
    sub.add_argument("--yes", action="store_true", help="yes, erase it")

    sub = add("set-home", cmd_set_home, "set the home: --lat/--lon, --address or --protected")
    sub.add_argument("--lat", type=float)
    sub.add_argument("--lon", type=float)
    sub.add_argument("--address")
    sub.add_argument("--protected", action="store_true", help="protected data: no location")

    sub = add("register-device", cmd_register_device, "register a push token")
    sub.add_argument("token", metavar="TOKEN")
    sub.add_argument("--platform", default="android", choices=["android", "ios", "web"])
    sub = add("remove-device", cmd_remove_device, "stop push to a token")
    sub.add_argument("token", metavar="TOKEN")


def _area_commands(add: Add) -> None:
    sub = add("areas", cmd_areas, "list areas by municipality or near a point")
    sub.add_argument("--municipality", help='municipality code, e.g. "0884"')
    sub.add_argument("--near", type=_near, metavar="LAT,LON")
    sub.add_argument("--limit", type=int)
    sub.add_argument("--cursor")

    sub = add("join", cmd_join, "ask to join an area (a contact person approves)")
    sub.add_argument("area_id", type=int, metavar="AREA_ID")
    sub = add("leave", cmd_leave, "leave an area")
    sub.add_argument("area_id", type=int, metavar="AREA_ID")

    sub = add("invite", cmd_invite, "contact persons: an invitation token to the area")
    sub.add_argument("area_id", type=int, metavar="AREA_ID")
    sub.add_argument("--email", help="the invited person's address, noted on the invitation")
    sub = add(
        "accept-invitation",
        cmd_accept_invitation,
        "join an area with an invitation token (- reads it, or invite's output, from stdin)",
    )
    sub.add_argument("token", metavar="TOKEN")


def _tip_and_alert_commands(add: Add) -> None:
    sub = add("tip", cmd_tip, "report a tip at --lat/--lon or --address")
    sub.add_argument("category", metavar="CATEGORY")
    sub.add_argument("description", metavar="DESCRIPTION")
    sub.add_argument("--lat", type=float)
    sub.add_argument("--lon", type=float)
    sub.add_argument("--address")
    sub.add_argument("--observed-at", help="ISO 8601 with offset")
    sub.add_argument("--registration", help="a vehicle's registration number")
    sub.add_argument("--vehicle-description", help="what the vehicle looked like")
    sub.add_argument(
        "--traffic-kind",
        help="traffic tips: speeding, moped, a_traktor, reckless_driving, parking or other",
    )
    sub.add_argument("--time-of-day", help="traffic tips: HH:MM, night, morning, day or evening")
    sub.add_argument("--idempotency-key")

    sub = add("tips", cmd_tips, "list own tips (contact persons, police: those in their scope)")
    sub.add_argument("--status", help="pending, open, investigating, closed or rejected")
    sub.add_argument("--category")
    sub.add_argument("--area-id", type=int)
    sub.add_argument("--limit", type=int)
    sub.add_argument("--cursor")

    sub = add("inbox", cmd_inbox, "list alerts, newest first")
    sub.add_argument("--limit", type=int)
    sub.add_argument("--cursor")

    sub = add("read", cmd_read, "mark an alert read")
    sub.add_argument("alert_id", type=int, metavar="ALERT_ID")

    sub = add("rsvp", cmd_rsvp, "sign up for an event (or --cancel)")
    sub.add_argument("broadcast_id", type=int, metavar="BROADCAST_ID")
    sub.add_argument("--cancel", action="store_true")


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _report_api_error(error: ApiError) -> None:
    print(f"error {error.status}: {error.detail}", file=sys.stderr)
    for field, messages in error.errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            print(f"  {field}: {message}", file=sys.stderr)
    if error.status == 429 and error.retry_after is not None:
        print(f"  retry after {error.retry_after:g} s", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "push-sink":
        from mobile_client_stub import push_sink

        push_sink.main(["--host", args.host, "--port", str(args.port)])
        return 0
    args.token_path = Path(args.token_file).expanduser()
    client = GrannsamverkanClient(
        args.server, token=read_token(args.token_path), timeout=args.timeout
    )
    try:
        result = args.handler(client, args)
    except UsageError as error:
        parser.error(f"{args.command}: {error}")
    except ApiError as error:
        _report_api_error(error)
        return 1
    except requests.RequestException as error:
        print(f"error: could not reach {args.server}: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()
    if result is not None:
        _print_json(result)
    return 0
