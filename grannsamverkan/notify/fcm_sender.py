"""A PushSender on Firebase Cloud Messaging through the firebase-admin SDK (pinned 7.7.0).

The SDK's own retries are turned off: a 503 would otherwise be sent five times and a 429 be
retried synchronously for minutes inside one dispatcher job. This sender makes one attempt
per token and reports RETRY (with Retry-After when FCM gives one); the outbox owns backoff.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import firebase_admin
import google.auth.credentials
import requests
from firebase_admin import credentials, exceptions, messaging

from grannsamverkan.notify.sender import (
    MAX_BATCH,
    Outcome,
    PushMessage,
    TokenResult,
    platform_options,
    retry_after_seconds,
)

logger = logging.getLogger("grannsamverkan.push")

FCM_BASE = "https://fcm.googleapis.com"
# FCM asks clients that hit the project quota to wait at least a minute.
QUOTA_MIN_WAIT_S = 60.0
# send_each_for_multicast runs one thread per token, so up to 500 requests overlap. With
# FCM-like latency (~70 ms) a pool of 100 still discards connections ("connection pool is
# full" warnings, new TCP handshakes for the next batch); one slot per possible token doesn't.
POOL_MAXSIZE = MAX_BATCH
# Transport failures of one request that are worth another try later.
_TRANSIENT_CAUSES = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class _StaticToken(google.auth.credentials.Credentials):
    """A Google credential with a fixed bearer token for FCM-compatible test servers."""

    def __init__(self, token: str = "gsv-loopback-token") -> None:  # noqa: S107
        super().__init__()
        self.token = token

    def refresh(self, request: Any) -> None:
        """Nothing to refresh; never reaches Google's token endpoint."""
        # Unlike AnonymousCredentials this does not raise, so a 401 stays a per-token error.


def _off_any_running_loop(work: Callable[[], None]) -> None:
    """Run ``work`` here, or on a thread of its own if this thread's asyncio loop is running.

    firebase-admin's delete_app closes its httpx client with asyncio.run, which refuses to
    run where a loop is running (a caller inside asyncio code, Playwright's sync API in the
    console tests): close would raise there and leave that client open.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fcm-close") as pool:
        pool.submit(work).result()


class _StaticCredential(credentials.Base):
    """firebase-admin's credential wrapper around _StaticToken."""

    def __init__(self) -> None:
        self._credential = _StaticToken()

    def get_credential(self) -> google.auth.credentials.Credentials:
        """The google-auth credential the SDK authorises requests with."""
        return self._credential


class FcmSender:
    """Sends pushes with messaging.send_each_for_multicast on an App of its own."""

    def __init__(
        self,
        project_id: str | None,
        credentials_path: str | None = None,
        endpoint: str | None = None,
        timeout_s: float = 10,
        credential: credentials.Base | None = None,
    ) -> None:
        if credential is not None:
            # Given explicitly: tests use a service account whose token_uri is a loopback fake.
            cred: credentials.Base = credential
            if endpoint and not project_id:
                raise ValueError("FcmSender with an endpoint needs a project_id")
        elif endpoint:
            # An FCM-compatible server needs no Google credentials, and must never get them.
            cred = _StaticCredential()
            if not project_id:
                raise ValueError("FcmSender with an endpoint needs a project_id")
        elif credentials_path:
            cred = credentials.Certificate(credentials_path)
        else:
            # Without a credential the SDK would probe the cloud metadata server.
            raise ValueError("FcmSender needs credentials_path (service account) or an endpoint")
        options: dict[str, Any] = {"httpTimeout": timeout_s}
        if project_id:
            options["projectId"] = project_id
        # A unique name lets several senders (tests, workers) coexist in one process.
        self._app = firebase_admin.initialize_app(
            cred, options, name=f"grannsamverkan-push-{uuid.uuid4().hex}"
        )
        try:
            self._service = messaging._get_messaging_service(self._app)
            self._configure(endpoint.rstrip("/") if endpoint else None)
        except BaseException:
            firebase_admin.delete_app(self._app)
            raise
        self.endpoint = endpoint

    def _configure(self, endpoint: str | None) -> None:
        """Turn SDK retries off and, for a test server, point the SDK at it."""
        service = self._service
        project = service._project_id
        fcm_url = f"{FCM_BASE}/v1/projects/{project}/messages:send"
        topic_url = f"{FCM_BASE}/v1/projects/{project}/registrations"
        # These are private attributes of firebase-admin 7.7.0; an SDK that builds its URLs
        # differently must stop us here rather than send pushes to Google in a test.
        if service._fcm_url != fcm_url or service._fcm_topic_url != topic_url:
            raise RuntimeError(
                f"firebase-admin builds FCM URLs differently than expected "
                f"({service._fcm_url!r}); re-check FcmSender against this SDK version"
            )
        session = service._client.session
        prefixes = ["http://", "https://", FCM_BASE]
        if endpoint:
            service._fcm_url = f"{endpoint}/v1/projects/{project}/messages:send"
            service._fcm_topic_url = f"{endpoint}/v1/projects/{project}/registrations"
            prefixes.append(endpoint)
            # google-auth re-sends a request that got 401 after refreshing the token; a fixed
            # token cannot change, so that would only repeat the same request.
            session._max_refresh_attempts = 0
        self._resolve_environment_once(session, service._fcm_url)
        for prefix in prefixes:
            # The longest mounted prefix wins, so this replaces the SDK's retrying adapters.
            session.mount(
                prefix,
                requests.adapters.HTTPAdapter(
                    max_retries=0, pool_connections=4, pool_maxsize=POOL_MAXSIZE
                ),
            )

    @staticmethod
    def _resolve_environment_once(session: requests.Session, url: str) -> None:
        """Read proxy and CA-bundle variables once, not on each of a multicast's requests.

        With ``trust_env`` on, requests stats ~/.netrc and resolves the proxy variables for
        every request: 2.03 ms CPU per message instead of 1.57 (BENCHMARKS.md). The FCM host is
        fixed, so what the environment says for it is resolved here, the same way requests
        would (proxies honouring no_proxy; REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE), and the
        per-request look-ups stop. A .netrc entry for the host keeps requests' own handling.
        """
        if not session.trust_env or requests.utils.get_netrc_auth(url) is not None:
            return
        for scheme, proxy in requests.utils.get_environ_proxies(url).items():
            session.proxies.setdefault(scheme, proxy)
        if session.verify is True:
            session.verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
        session.trust_env = False

    def send(self, message: PushMessage) -> list[TokenResult]:
        """Send one request per token (in parallel, inside the SDK); never raises."""
        if not message.tokens:
            return []
        try:
            multicast = self._multicast(message)
        except (TypeError, ValueError) as error:
            # The content itself is unsendable; retrying would fail the same way.
            logger.error("push content rejected before sending: %s", error)
            return [_failed(t, f"invalid message: {error}") for t in message.tokens]
        try:
            batch = messaging.send_each_for_multicast(multicast, app=self._app)
        except Exception as error:
            # The whole batch broke below the per-token level (e.g. the thread pool): none of
            # it is known to have arrived, so all of it may be tried again.
            logger.warning("push batch of %d failed: %r", len(message.tokens), error)
            return [
                TokenResult(token=t, outcome=Outcome.RETRY, error=_describe(error))
                for t in message.tokens
            ]
        results = []
        for token, response in zip(message.tokens, batch.responses, strict=True):
            if response.success:
                results.append(TokenResult(token=token, outcome=Outcome.SENT))
            else:
                results.append(classify_error(token, response.exception))
        return results

    def _multicast(self, message: PushMessage) -> messaging.MulticastMessage:
        """The SDK message for a PushMessage (the same JSON as sender.fcm_message)."""
        with warnings.catch_warnings():
            # Phones send us FCM registration tokens, not Firebase Installation IDs, so
            # `tokens=` is right despite 7.7.0's deprecation; silence exactly that warning.
            warnings.filterwarnings(
                "ignore",
                message=r"MulticastMessage\.tokens is deprecated",
                category=DeprecationWarning,
            )
            return messaging.MulticastMessage(
                tokens=list(message.tokens), **sdk_message_content(message)
            )

    def close(self) -> None:
        """Release the pooled connections and delete this sender's firebase App."""
        self._service._client.session.close()
        _off_any_running_loop(lambda: firebase_admin.delete_app(self._app))

    def __enter__(self) -> FcmSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def sdk_message_content(message: PushMessage) -> dict[str, Any]:
    """What a PushMessage says, as the SDK's message fields (all but the target tokens)."""
    options = platform_options(message)
    sound = options.sound
    android = messaging.AndroidConfig(
        priority=options.android_priority,
        ttl=options.ttl_seconds,
        collapse_key=message.collapse_key,
        notification=messaging.AndroidNotification(sound=sound) if sound else None,
    )
    apns = messaging.APNSConfig(
        headers={
            "apns-priority": options.apns_priority,
            "apns-expiration": options.apns_expiration,
        },
        payload=messaging.APNSPayload(aps=messaging.Aps(sound=sound)) if sound else None,
    )
    return {
        "data": dict(message.data),
        "notification": messaging.Notification(title=message.title, body=message.body),
        "android": android,
        "apns": apns,
    }


def classify_error(token: str, error: BaseException | None) -> TokenResult:
    """Map the SDK's exception for one token to an outcome for the outbox."""
    if isinstance(error, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return TokenResult(token=token, outcome=Outcome.UNREGISTERED, error=_describe(error))
    if isinstance(error, exceptions.ResourceExhaustedError):
        # QuotaExceededError is a ResourceExhaustedError; any 429 means "slow down".
        wait = max(QUOTA_MIN_WAIT_S, retry_after_of(error) or 0.0)
        return TokenResult(
            token=token, outcome=Outcome.RETRY, retry_after_s=wait, error=_describe(error)
        )
    if isinstance(
        error,
        exceptions.UnavailableError | exceptions.InternalError | exceptions.DeadlineExceededError,
    ) or (
        isinstance(error, exceptions.UnknownError) and isinstance(error.cause, _TRANSIENT_CAUSES)
    ):
        return TokenResult(
            token=token,
            outcome=Outcome.RETRY,
            retry_after_s=retry_after_of(error),
            error=_describe(error),
        )
    # InvalidArgumentError (bad token or payload), ThirdPartyAuthError (APNs/web push
    # credentials), and anything unforeseen: retrying the same request will not help.
    return _failed(token, _describe(error))


def retry_after_of(error: BaseException) -> float | None:
    """Seconds from the Retry-After header of the error's HTTP response, if any."""
    response = getattr(error, "http_response", None)
    return retry_after_seconds(
        response.headers.get("Retry-After") if response is not None else None
    )


def _failed(token: str, error: str) -> TokenResult:
    return TokenResult(token=token, outcome=Outcome.FAILED, error=error)


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    code = getattr(error, "code", None)
    name = type(error).__name__
    return f"{name} ({code}): {error}" if code else f"{name}: {error}"
