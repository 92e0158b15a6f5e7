"""Security headers on every response the app gives (API, public documents, console).

- ``X-Content-Type-Options: nosniff``: browsers take the declared type, so a JSON or CAP
  body is never run as script or HTML.
- ``Referrer-Policy: strict-origin-when-cross-origin``: other sites see at most the origin,
  never a path with an id in it (map tile servers still learn who asks, as they require).
- ``X-Frame-Options: DENY`` and, where a view set no policy of its own, a
  ``Content-Security-Policy`` of ``frame-ancestors 'none'``: no page can frame ours.
- ``Cache-Control: no-store`` on every response to a request with credentials (a bearer
  token or a cookie), since it may hold private data, unless the view marked it ``private``
  itself (api/caching.py: answers the caller may keep and revalidate, with an ETag that
  names them); and on every other response that declares no caching of its own (sign-in
  answers carry a token).
- ``Strict-Transport-Security`` when the app is served over https (GSV_PUBLIC_URL, or the
  request itself as far as trusted proxies tell).

No ``Server`` header is set here; see README "Production" for the servers' own.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

HSTS = "max-age=31536000"  # a year; subdomains are the operator's to include


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def _has_credentials() -> bool:
    return "Authorization" in request.headers or bool(request.cookies)


def _served_over_https() -> bool:
    return request.is_secure or current_app.config["GSV_PUBLIC_URL"].startswith("https://")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    declared = headers.get("Cache-Control")
    if declared is None or (_has_credentials() and "private" not in declared):
        headers["Cache-Control"] = "no-store"
    if _served_over_https():
        headers["Strict-Transport-Security"] = HSTS
    return response
