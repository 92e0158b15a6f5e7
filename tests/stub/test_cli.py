"""The stub's command line (``python -m mobile_client_stub``) against the real server on a
loopback socket, and the README's walk-through run as written against the demo data."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mobile_client_stub.cli import main
from mobile_client_stub.client import ApiError
from tests.conftest import PASSWORD

SPOT = (57.6663, 15.8557)
NEAR_SPOT = (57.6670, 15.8560)  # about 80 m north of SPOT
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


@pytest.fixture
def cli(live_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """Run one CLI command in this process: cli(*args, who="name", stdin="...").

    ``who`` names the token file, so several people can be signed in at once."""
    for name in ("GSV_STUB_SERVER", "GSV_STUB_TOKEN_FILE", "GSV_STUB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, who: str = "me", stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        token_file = tmp_path / f"{who}.token"
        argv = ["--server", live_url, "--token-file", str(token_file), *args]
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def token_file(tmp_path: Path, name: str = "me") -> Path:
    return tmp_path / f"{name}.token"


def test_register_login_tip_inbox_and_logout(
    cli, tmp_path, monkeypatch, make_area, make_user, add_member, make_client
):
    monkeypatch.setenv("GSV_STUB_PASSWORD", PASSWORD)
    registered = cli("register", "--email", "dora@example.se", "--name", "Dora").json()
    assert registered["email"] == "dora@example.se"

    wrong = cli("login", "--email", "dora@example.se", "--password", "wrong password here")
    assert (wrong.code, "error 401" in wrong.err) == (1, True)
    assert "retry after" not in wrong.err
    assert not token_file(tmp_path).exists()

    logged_in = cli("login", "--email", "dora@example.se").json()  # password from the env
    assert logged_in["token_type"] == "Bearer"
    token = token_file(tmp_path).read_text().strip()
    assert token
    assert token not in json.dumps(logged_in)
    assert token_file(tmp_path).stat().st_mode & 0o077 == 0

    me = cli("me").json()
    assert me["email"] == "dora@example.se"
    cli("set-home", "--lat", str(NEAR_SPOT[0]), "--lon", str(NEAR_SPOT[1])).json()
    assert cli("inbox").json() == {"items": [], "next_cursor": None}

    # Someone in Dora's area reports a tip; Dora's inbox shows it.
    area = make_area()
    reporter = make_user()
    add_member(reporter, area)
    police = make_client(make_user(role="police", municipality_codes=["0884"]).token)
    police.set_member(area.id, me["id"], "active")
    reporting = make_client(reporter.token)
    tip = reporting.send_tip("burglary", "Broken window.", lat=SPOT[0], lon=SPOT[1])
    alert_id = tip["alert"]["id"]
    assert [a["id"] for a in cli("inbox").json()["items"]] == [alert_id]
    read = cli("read", str(alert_id))
    assert (read.code, read.out) == (0, "")

    near = f"{SPOT[0]},{SPOT[1]}"
    areas = cli("areas", "--municipality", "0884", "--near", near).json()
    assert [a["id"] for a in areas["items"]] == [area.id]

    bad_tip = cli("tip", "nonsense", "x", "--lat", "57.6", "--lon", "15.8")
    assert (bad_tip.code, "error 422" in bad_tip.err, "category" in bad_tip.err) == (1, True, True)
    assert "retry after" not in bad_tip.err  # the API sends Retry-After headers on every answer

    assert cli("logout").code == 0
    assert not token_file(tmp_path).exists()
    after = cli("me")
    assert (after.code, "error 401" in after.err) == (1, True)


def test_without_a_password_or_a_terminal_register_is_a_usage_error(tmp_path):
    """No traceback, no prompt that dies on EOF: a usage message naming both ways."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_STUB_")}
    done = subprocess.run(
        [sys.executable, "-m", "mobile_client_stub", "--server", "http://127.0.0.1:9",
         "--token-file", str(tmp_path / "t"), "register", "--email", "a@example.se",
         "--name", "A"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=REPO, env=env,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--password" in done.stderr
    assert "GSV_STUB_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_invitation_from_the_contact_person_piped_into_accept(
    cli, monkeypatch, make_area, make_user, add_member
):
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")
    cli("login", "--email", contact.email, "--password", PASSWORD, who="contact").json()
    monkeypatch.setenv("GSV_STUB_PASSWORD", PASSWORD)
    cli("register", "--email", "cecilia@example.se", "--name", "Cecilia").json()
    cli("login", "--email", "cecilia@example.se").json()

    invitation = cli("invite", str(area.id), who="contact")
    accepted = cli("accept-invitation", "-", stdin=invitation.out).json()
    assert (accepted["area_id"], accepted["status"]) == (area.id, "active")

    # A bare token works too, from stdin or as the argument; a forged one is refused, and
    # so is one made out to someone else.
    invite = ("invite", str(area.id), "--email")
    bare = cli(*invite, "cecilia@example.se", who="contact").json()["token"]
    assert cli("accept-invitation", bare).json()["status"] == "active"
    assert cli("accept-invitation", "-", stdin=bare + "\n").json()["status"] == "active"
    forged = cli("accept-invitation", bare[:-2] + "xx")
    assert (forged.code, "error 400" in forged.err) == (1, True)
    someone_elses = cli(*invite, "x@example.se", who="contact").json()["token"]
    elsewhere = cli("accept-invitation", someone_elses)
    assert (elsewhere.code, "another e-mail" in elsewhere.err) == (1, True)
    unusable = cli("accept-invitation", "-", stdin='{"no": "token"}')
    assert (unusable.code, "invite prints" in unusable.err) == (2, True)

    # Only the area's contact persons invite.
    refused = cli("invite", str(area.id))
    assert (refused.code, "error 403" in refused.err) == (1, True)


def test_own_tips_phones_export_leaving_and_account_deletion(
    cli, tmp_path, monkeypatch, make_area, add_member
):
    monkeypatch.setenv("GSV_STUB_PASSWORD", PASSWORD)
    area = make_area()
    dora = cli("register", "--email", "dora@example.se", "--name", "Dora").json()
    cli("login", "--email", "dora@example.se").json()
    add_member(SimpleNamespace(id=dora["id"]), area)

    tip = cli("tip", "vandalism", "Sprayed the bus shelter.", "--lat", str(SPOT[0]),
              "--lon", str(SPOT[1])).json()  # fmt: skip
    own = cli("tips").json()
    assert [t["id"] for t in own["items"]] == [tip["id"]]
    assert cli("tips", "--status", "closed").json()["items"] == []

    assert cli("register-device", "phone/1:abc").json()["token"] == "phone/1:abc"
    removed = cli("remove-device", "phone/1:abc")
    assert (removed.code, removed.out) == (0, "")
    # Removing a phone is idempotent (the API answers 204 for a token that is no longer ours).
    gone = cli("remove-device", "phone/1:abc")
    assert (gone.code, gone.out) == (0, "")

    export = cli("export").json()
    assert export["account"]["email"] == "dora@example.se"
    assert [t["id"] for t in export["tips"]] == [tip["id"]]

    left = cli("leave", str(area.id))
    assert (left.code, left.out) == (0, "")
    statuses = {m["area_id"]: m["status"] for m in cli("me").json()["memberships"]}
    assert statuses.get(area.id, "removed") == "removed"

    unconfirmed = cli("delete-account")
    assert (unconfirmed.code, "--yes" in unconfirmed.err) == (2, True)
    assert cli("me").code == 0
    assert cli("delete-account", "--yes").code == 0
    assert not token_file(tmp_path).exists()
    relogin = cli("login", "--email", "dora@example.se")
    assert (relogin.code, "error 401" in relogin.err) == (1, True)


def test_logout_with_a_dead_token_still_removes_the_token_file(cli, tmp_path):
    token_file(tmp_path).write_text("not-a-token-the-server-knows\n")
    logged_out = cli("logout")
    assert logged_out.code == 0
    assert "no longer valid" in logged_out.err
    assert not token_file(tmp_path).exists()
    assert cli("logout").code == 0  # no token file at all: nothing to do, still fine


@pytest.mark.parametrize(("status", "shown"), [(429, True), (403, False), (422, False)])
def test_retry_after_is_printed_only_for_429(status, shown, capsys):
    from mobile_client_stub.cli import _report_api_error

    _report_api_error(ApiError(status, {"detail": "no"}, headers={"Retry-After": "3600"}))
    assert ("retry after 3600 s" in capsys.readouterr().err) is shown


def test_usage_errors_and_an_unreachable_server(capsys, tmp_path):
    def run(*args: str) -> tuple[int, str]:
        argv = ["--server", "http://127.0.0.1:9", "--token-file", str(tmp_path / "t"), *args]
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        return code, capsys.readouterr().err

    code, err = run("set-home", "--lat", "57.6")
    assert (code, "--lon" in err) == (2, True)
    code, err = run("me")
    assert (code, "could not reach" in err) == (1, True)


# --- the README's walk-through ---------------------------------------------------------------


def readme_walkthrough() -> str:
    """The first ``sh`` block of the README's section on the stub, as written."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The mobile client stub", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)  # type: ignore[union-attr]


def test_the_readmes_walkthrough_runs_as_written_on_the_demo_data(app, live_url, tmp_path):
    seeded = app.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    script = readme_walkthrough()
    assert "http://127.0.0.1:5000" in script
    assert ".venv/bin/python" in script
    # The only changes: this server's address and this interpreter. HOME keeps token files here.
    script = script.replace("http://127.0.0.1:5000", live_url)
    script = script.replace(".venv/bin/python", sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(REPO))
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    # The walk-through ends with the contact person's inbox, which holds the new tip.
    answers = [json.loads(chunk) for chunk in _json_documents(done.stdout)]
    inbox = answers[-1]
    assert inbox["items"][0]["kind"] == "tip"
    assert inbox["items"][0]["category"] == "suspicious_vehicle"


def _json_documents(text: str) -> list[str]:
    """The pretty-printed JSON answers, one per command, split at top-level braces."""
    decoder, position, found = json.JSONDecoder(), 0, []
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        _, end = decoder.raw_decode(text, position)
        found.append(text[position:end])
        position = end
    return found
