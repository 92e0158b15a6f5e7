"""Push backends: the PushSender that GSV_PUSH_BACKEND (and friends, API.md) chooses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grannsamverkan.notify.log_sender import LogSender
from grannsamverkan.notify.sender import PushSender


def make_sender(config: Mapping[str, Any]) -> PushSender:
    """The sender GSV_PUSH_BACKEND names: "log" (default) or "fcm", sent over the transport
    GSV_FCM_TRANSPORT names: "aiohttp" (default) or "sdk" (firebase-admin's threads)."""
    backend = (config.get("GSV_PUSH_BACKEND") or "log").strip().lower()
    if backend == "log":
        return LogSender()
    if backend != "fcm":
        raise ValueError(f"GSV_PUSH_BACKEND must be 'log' or 'fcm', not {backend!r}")
    credentials_path = config.get("GSV_FIREBASE_CREDENTIALS") or None
    endpoint = config.get("GSV_FCM_ENDPOINT") or None
    if not endpoint and not credentials_path:
        raise ValueError(
            "GSV_PUSH_BACKEND=fcm needs GSV_FIREBASE_CREDENTIALS (path to a service-account "
            "JSON) or GSV_FCM_ENDPOINT (an FCM-compatible test server)"
        )
    project_id = config.get("GSV_FIREBASE_PROJECT_ID") or None
    if not project_id and credentials_path:
        project_id = _project_of(credentials_path)
    if not project_id:
        raise ValueError(
            "GSV_PUSH_BACKEND=fcm needs GSV_FIREBASE_PROJECT_ID (or a credentials file with "
            "a project_id)"
        )
    # Imported here so the log backend never loads firebase-admin.
    from grannsamverkan.notify.fcm_sender import FcmSender

    sender_class = FcmSender
    transport = (config.get("GSV_FCM_TRANSPORT") or "aiohttp").strip().lower()
    if transport == "aiohttp":
        from grannsamverkan.notify.fcm_aiohttp import AiohttpFcmSender

        sender_class = AiohttpFcmSender
    elif transport != "sdk":
        raise ValueError(f"GSV_FCM_TRANSPORT must be 'sdk' or 'aiohttp', not {transport!r}")
    return sender_class(
        project_id=project_id,
        credentials_path=credentials_path,
        endpoint=endpoint,
        timeout_s=float(config.get("GSV_FCM_TIMEOUT_S") or 10.0),
    )


def _project_of(credentials_path: str) -> str | None:
    """The project_id in a service-account JSON file."""
    try:
        info = json.loads(Path(credentials_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(
            f"GSV_FIREBASE_CREDENTIALS: cannot read {credentials_path}: {error}"
        ) from error
    project_id = info.get("project_id") if isinstance(info, dict) else None
    return project_id if isinstance(project_id, str) and project_id else None
