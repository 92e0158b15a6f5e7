"""A stub phone: an API client, a device push token, and that device's tray in the push sink.

End-to-end tests use a few of these as residents' phones: each signs in, registers its token
for push, and reads what the server's FCM sender delivered to it from the push sink (over
HTTP, ``GET {sink}/_sink/tray/<token>``, so the sink may run in another process).
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

import requests

from mobile_client_stub.client import GrannsamverkanClient

POLL_INTERVAL_S = 0.05


def new_device_token() -> str:
    """A fresh, unique push token, as FCM would hand a newly installed app."""
    return f"stub-{uuid.uuid4()}"


def _alert_id_of(message: dict[str, Any]) -> str | None:
    data = message.get("data") or {}
    value = data.get("alert_id")
    return None if value is None else str(value)


class StubPhone:
    """A phone running the app: ``client`` for the API, ``device_token`` for push.

    API methods not defined here are the client's (``phone.send_tip(...)`` is
    ``phone.client.send_tip(...)``).
    """

    def __init__(
        self,
        client: GrannsamverkanClient,
        sink_url: str,
        device_token: str | None = None,
        *,
        timeout: float = 10,
    ) -> None:
        self.client = client
        self.sink_url = sink_url.rstrip("/")
        self.device_token = device_token or new_device_token()
        self.timeout = timeout
        self._sink = requests.Session()
        # Names (FCM message ids) of pushes already handed out by wait_for_push.
        self._seen: set[str] = set()

    @classmethod
    def connect(
        cls,
        server_url: str,
        sink_url: str,
        *,
        token: str | None = None,
        device_token: str | None = None,
        timeout: float = 10,
    ) -> StubPhone:
        """A phone with a client of its own for ``server_url``."""
        client = GrannsamverkanClient(server_url, token=token, timeout=timeout)
        return cls(client, sink_url, device_token, timeout=timeout)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the phone lacks; guard the attribute __init__ sets first.
        if name == "client" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.client, name)

    def __repr__(self) -> str:
        return f"<StubPhone {self.device_token} via {self.client.api_url}>"

    def close(self) -> None:
        """Close the API and sink sessions."""
        self.client.close()
        self._sink.close()

    def __enter__(self) -> StubPhone:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- push registration --------------------------------------------------------------------

    def register_for_push(self, platform: str = "android") -> dict[str, Any]:
        """Register this phone's device token with the server (POST /me/devices)."""
        return self.client.register_device(self.device_token, platform)

    def unregister_push(self) -> None:
        """Tell the server to stop pushing to this phone (DELETE /me/devices/{token})."""
        self.client.remove_device(self.device_token)

    def uninstall(self) -> None:
        """Uninstall the app: the push sink answers UNREGISTERED for this token from now on."""
        self._sink_post(f"/_sink/unregister/{quote(self.device_token, safe='')}")

    # --- the tray -----------------------------------------------------------------------------

    def tray(self) -> list[dict[str, Any]]:
        """Every push this phone received, oldest first, as the push sink recorded them."""
        response = self._sink.get(
            f"{self.sink_url}/_sink/tray/{quote(self.device_token, safe='')}",
            timeout=self.timeout,
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    def notifications_for(self, alert_id: int | str) -> list[dict[str, Any]]:
        """The pushes in the tray about one alert (its ``data.alert_id``), oldest first."""
        wanted = str(alert_id)
        return [message for message in self.tray() if _alert_id_of(message) == wanted]

    def wait_for_push(
        self,
        alert_id: int | str | None = None,
        timeout: float = 5.0,
        *,
        status: str | None = None,
    ) -> dict[str, Any]:
        """The next push not yet returned by this method (about ``alert_id``, with
        ``data.status`` = ``status``, when given); polls the tray, TimeoutError if none."""
        wanted = None if alert_id is None else str(alert_id)
        deadline = time.monotonic() + timeout
        while True:
            tray = self.tray()
            for message in tray:
                if message.get("name") in self._seen:
                    continue
                if wanted is not None and _alert_id_of(message) != wanted:
                    continue
                if status is not None and (message.get("data") or {}).get("status") != status:
                    continue
                self._seen.add(str(message.get("name")))
                return message
            if time.monotonic() >= deadline:
                got = [(m.get("data") or {}) for m in tray]
                raise TimeoutError(
                    f"no new push for alert {wanted or 'any'} (status {status or 'any'}) "
                    f"reached {self.device_token} within {timeout}s; tray data: {got}"
                )
            time.sleep(POLL_INTERVAL_S)

    def _sink_post(self, path: str) -> None:
        response = self._sink.post(f"{self.sink_url}{path}", timeout=self.timeout)
        response.raise_for_status()
