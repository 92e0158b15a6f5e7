"""A PushSender that posts FCM HTTP v1 requests with aiohttp (GSV_FCM_TRANSPORT=aiohttp).

firebase-admin's send_each_for_multicast costs ~1.8 ms of CPU per push (a thread and a
requests round trip per token; BENCHMARKS.md). This sender keeps everything else of FcmSender
(the firebase App, its credential, the URL, the message encoding and classify_error) and only
replaces the transport: one asyncio loop in a background thread per process, one aiohttp
session with keep-alive connections, up to MAX_BATCH requests in flight per batch and up to
``max_in_flight`` batches at once (the dispatcher's window: outbox.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import ssl
import threading
import warnings
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import aiohttp
import google.auth.transport.requests
import requests
from firebase_admin import exceptions, messaging

from grannsamverkan.notify.fcm_sender import FcmSender, classify_error, sdk_message_content
from grannsamverkan.notify.sender import MAX_BATCH, Outcome, PushMessage, TokenResult

logger = logging.getLogger("grannsamverkan.push")

# How much longer than one request's time-out the dispatcher waits for a whole batch: a
# request may take a connect and a read time-out, and a batch never queues (≤ MAX_BATCH).
_BATCH_GRACE_S = 5.0

T = TypeVar("T")


class AiohttpFcmSender(FcmSender):
    """FcmSender with its requests sent on an asyncio loop instead of the SDK's threads."""

    # Batches that may be sent at once (from the dispatcher's threads): each has a connection
    # per token, so none waits for another's 70 ms answers.
    max_in_flight = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timeout_s = float(self._app.options.get("httpTimeout"))
        self._credential = self._app.credential.get_credential()
        self._loop_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._loop_pid: int | None = None
        self._session: aiohttp.ClientSession | None = None
        self._proxy = _environment_proxy(self._service._fcm_url)
        # Set when FCM refused the access token itself: refresh before the next batch.
        self._token_refused = False

    def send(self, message: PushMessage) -> list[TokenResult]:
        """Post one request per token on the sender's loop and wait for all; never raises."""
        try:
            return self.run_on_loop(self.send_on_loop(message)).result(
                timeout=2 * self._timeout_s + _BATCH_GRACE_S + 1
            )
        except Exception as error:  # the loop could not be reached, or did not answer
            return self._all_retry(message, error)

    async def send_on_loop(self, message: PushMessage) -> list[TokenResult]:
        """``send``, as a coroutine on the sender's loop (``run_on_loop``): a dispatcher
        hands a batch's multicasts straight to the loop, with no thread of its own between
        (in_flight.OnLoop); never raises."""
        if not message.tokens:
            return []
        try:
            bodies = self._request_bodies(message)
        except (TypeError, ValueError) as error:
            logger.error("push content rejected before sending: %s", error)
            return [
                TokenResult(t, Outcome.FAILED, error=f"invalid message: {error}")
                for t in message.tokens
            ]
        try:
            if self._token_refused or not self._credential.valid:
                # The refresh is a blocking HTTP request: not on the loop the batches share.
                headers = await asyncio.to_thread(self._headers)
            else:
                headers = self._headers()
            return await asyncio.wait_for(
                self._post_all(message.tokens, bodies, headers),
                2 * self._timeout_s + _BATCH_GRACE_S,
            )
        except Exception as error:
            return self._all_retry(message, error)

    @staticmethod
    def _all_retry(message: PushMessage, error: Exception) -> list[TokenResult]:
        """A token refresh or the loop failed, or the batch overran: nothing is known to
        have arrived (or FCM deduplicates nothing), so all of it may be tried again."""
        logger.warning("push batch of %d failed: %r", len(message.tokens), error)
        return [
            TokenResult(t, Outcome.RETRY, error=f"{type(error).__name__}: {error}")
            for t in message.tokens
        ]

    def run_on_loop(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coroutine`` on this process's loop thread; its future, for any thread."""
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        except BaseException:
            coroutine.close()  # never started: no "was never awaited" warning at exit
            raise

    def _request_bodies(self, message: PushMessage) -> list[bytes]:
        """The messages:send bodies, encoded by the SDK once and addressed per token."""
        with warnings.catch_warnings():
            # Registration tokens, not Installation IDs (see FcmSender._multicast).
            warnings.filterwarnings(
                "ignore", message=r"Message\.token is deprecated", category=DeprecationWarning
            )
            sdk_message = messaging.Message(token=message.tokens[0], **sdk_message_content(message))
        encoded = messaging._MessagingService.encode_message(sdk_message)
        encoded.pop("token", None)
        # The content is encoded once; each body is the token spliced in front of it (the
        # same JSON object: key order means nothing to FCM), not 500 encodings of it.
        content = json.dumps(encoded)
        rest = b"," + content[1:].encode("utf-8") if content != "{}" else b"}"
        return [
            b'{"message": {"token": ' + json.dumps(token).encode("utf-8") + rest + b"}"
            for token in message.tokens
        ]

    def _headers(self) -> dict[str, str]:
        """The SDK's FCM headers with a valid OAuth2 access token (refreshed here, once per
        multicast when expired, not inside the per-request coroutines)."""
        with self._token_lock:  # batches are sent from several threads at once
            if self._token_refused or not self._credential.valid:
                self._credential.refresh(google.auth.transport.requests.Request())
                self._token_refused = False
        return {
            **self._service._fcm_headers,
            "Authorization": f"Bearer {self._credential.token}",
            "Content-Type": "application/json; charset=utf-8",
        }

    async def _post_all(
        self, tokens: list[str], bodies: list[bytes], headers: Mapping[str, str]
    ) -> list[TokenResult]:
        session = self._client_session()
        return list(
            await asyncio.gather(
                *(
                    self._post(session, token, body, headers)
                    for token, body in zip(tokens, bodies, strict=True)
                )
            )
        )

    async def _post(
        self,
        session: aiohttp.ClientSession,
        token: str,
        body: bytes,
        headers: Mapping[str, str],
    ) -> TokenResult:
        """One messages:send request, its outcome mapped as FcmSender maps the SDK's."""
        try:
            async with session.post(
                self._service._fcm_url, data=body, headers=headers, proxy=self._proxy
            ) as answer:
                content = await answer.read()
                if 200 <= answer.status < 300:
                    return TokenResult(token=token, outcome=Outcome.SENT)
                error = self._sdk_error(answer.status, answer.headers, content)
            if type(error) is exceptions.UnauthenticatedError:
                return self._refused_access_token(token, error)
        except TimeoutError as timeout:
            error = exceptions.DeadlineExceededError(
                f"Timed out while making an API call: {timeout!r}", cause=timeout
            )
        except aiohttp.ClientError as failure:
            # Refused, reset or cut-off connections: as requests' ConnectionError in the SDK.
            error = exceptions.UnavailableError(
                f"Failed to establish a connection: {failure!r}", cause=failure
            )
        return classify_error(token, error)

    def _refused_access_token(
        self, token: str, error: exceptions.UnauthenticatedError
    ) -> TokenResult:
        """FCM refused our OAuth2 token (revoked, or expired early): where the SDK's session
        refreshes it and sends again, this one refreshes before the next batch and leaves
        the resend to the outbox. (APNs or web-push credentials are ThirdPartyAuthError.)"""
        self._token_refused = True
        return TokenResult(token, Outcome.RETRY, error=f"UnauthenticatedError: {error}")

    def _sdk_error(
        self, status: int, headers: Mapping[str, str], content: bytes
    ) -> exceptions.FirebaseError:
        """The exception the SDK raises for this FCM answer, made by the SDK's own parser."""
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = content
        response.url = self._service._fcm_url
        return self._service._handle_fcm_error(requests.exceptions.HTTPError(response=response))

    # --- the loop and the session -------------------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """This process's loop thread, started on first use (and again after a fork, or if
        it ended: a coroutine handed to a loop that no longer runs would never finish)."""
        with self._loop_lock:
            thread = self._loop_thread
            if (
                self._loop is None
                or self._loop_pid != os.getpid()
                or thread is None
                or not thread.is_alive()
            ):
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="fcm-aiohttp", daemon=True)
                thread.start()
                self._loop, self._loop_thread, self._loop_pid = loop, thread, os.getpid()
                self._session = None
            return self._loop

    def _client_session(self) -> aiohttp.ClientSession:
        """The one keep-alive session, made inside the loop (aiohttp binds it there)."""
        if self._session is None:
            timeout = self._timeout_s
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_BATCH * self.max_in_flight, ssl=self._ssl_context()
                ),
                # Like requests: a connect and a read time-out, none on the whole request.
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
                # The proxy is resolved once (_environment_proxy): aiohttp's trust_env looks it
                # up for every request on a thread pool, 0.1 ms of CPU per push.
                trust_env=False,
                raise_for_status=False,
            )
        return self._session

    def _ssl_context(self) -> ssl.SSLContext:
        """The CA bundle requests would verify FCM with: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE
        (as FcmSender resolves them), else requests' own (certifi)."""
        verify = self._service._client.session.verify
        cafile = verify if isinstance(verify, str) else requests.certs.where()
        return ssl.create_default_context(cafile=cafile)

    def close(self) -> None:
        """Close the session and stop the loop thread, then the SDK side as FcmSender."""
        loop, thread = self._loop, self._loop_thread
        if loop is not None and thread is not None and self._loop_pid == os.getpid():
            session = self._session
            if session is not None:
                asyncio.run_coroutine_threadsafe(session.close(), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
        self._loop = self._loop_thread = self._session = None
        super().close()


def _environment_proxy(url: str) -> str | None:
    """The proxy HTTPS_PROXY / ALL_PROXY name for the FCM URL unless NO_PROXY exempts it:
    what requests (and so FcmSender) resolves, read once as the FCM host never changes."""
    return requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
