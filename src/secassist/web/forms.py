"""Shared plumbing for web forms: the confirmation after a successful post, a refused form
shown again with its input, and the "confirm once" step for destructive or money-moving
actions. No JavaScript is needed for any of it.

The pattern every form handler follows::

    @router.post("/things/{id}/spend")
    def spend(request, web_user, amount: FormStr = "", confirmed: ConfirmField = "", csrf: CsrfField = ""):
        form = FormState({"amount": amount})
        try:
            value = parse_amount(amount)                      # raises ValidationFailedError(field=...)
            if not is_confirmed(request, "spend", form.values, confirmed):
                ask = confirmation(request, action="spend", url=request.url.path, values=form.values,
                                   summary=f"Obligate ${value:,.2f} from FMF FY2024", cancel=f"/things/{id}")
                return page(request, "confirm.html", active="things", confirm=ask)
            with form_write(request, csrf) as s:
                service.spend(s, actor=p, ...)
        except FORM_ERRORS as exc:
            return page(request, "thing.html", active="things", status=422, form=form.refused(exc))
        return redirect_with_flash(request, f"/things/{id}", f"Obligated ${value:,.2f}.")

* **Flash** (:func:`redirect_with_flash`): the message rides a signed one-shot cookie to the
  page the 303 leads to; :func:`secassist.web.render.page` takes it (and deletes the cookie)
  and ``base.html`` shows it in a ``role="status"`` region. A cookie whose signature fails is
  ignored, so another site cannot plant a message.
* **Refused form** (:class:`FormState`): the values as typed and one error per field (the
  field the :class:`~secassist.core.errors.SecassistError` names, else ``form``); the page is
  rendered again with status 422 and ``templates/_form.html``'s ``field`` macro puts each
  error beside its input (``aria-invalid``, ``aria-describedby``, ``role="alert"``).
* **Confirm once** (:func:`confirmation`, :func:`is_confirmed`): the first post validates and
  answers a page that names the action and amount, carrying the same values in hidden fields
  and a token that is the HMAC of the action and those values under the session's CSRF token;
  only a second post with that token does the work, so what is done is exactly what was shown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from secassist.core.errors import ConflictError, NotFoundError, SecassistError, ValidationFailedError

FLASH_COOKIE = "secassist_flash"
FLASH_MAX_AGE = 120  # seconds: long enough for the redirect, short enough to not linger
FLASH_KINDS = ("success", "info", "warning")
CONFIRM_FIELD = "confirmed"

# The errors a form shows beside its field (anything else is an error page).
FORM_ERRORS: tuple[type[SecassistError], ...] = (ValidationFailedError, NotFoundError, ConflictError)

CsrfField = Annotated[str, Form(max_length=200)]
ConfirmField = Annotated[str, Form(alias=CONFIRM_FIELD, max_length=200)]


def _key(request: Request, purpose: bytes) -> bytes:
    secret: str = request.app.state.settings.secret_key.get_secret_value()
    return hashlib.sha256(b"secassist-web-" + purpose + b"\x00" + secret.encode()).digest()


# --- flash ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flash:
    """A one-shot confirmation shown on the next page: ``kind`` is one of FLASH_KINDS."""

    message: str
    kind: str = "success"


def _flash_value(request: Request, flash: Flash) -> str:
    body = base64.urlsafe_b64encode(json.dumps([flash.kind, flash.message]).encode()).decode()
    sig = hmac.new(_key(request, b"flash"), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{sig}"


def read_flash(request: Request) -> Flash | None:
    """The flash message the request's cookie carries, if its signature holds."""
    raw = request.cookies.get(FLASH_COOKIE, "")
    body, _, sig = raw.rpartition(".")
    if not body or not sig:
        return None
    expected = hmac.new(_key(request, b"flash"), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        return None
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError):
        return None
    if kind not in FLASH_KINDS or not isinstance(message, str):
        return None
    return Flash(message[:1000], kind)


def set_flash(request: Request, response: Response, message: str, kind: str = "success") -> None:
    """Attach a flash message to ``response`` (normally a redirect)."""
    if kind not in FLASH_KINDS:
        raise ValueError(f"flash kind {kind!r} not in {FLASH_KINDS}")
    response.set_cookie(
        FLASH_COOKIE,
        _flash_value(request, Flash(message, kind)),
        max_age=FLASH_MAX_AGE,
        path="/",
        secure=request.app.state.settings.is_production,
        httponly=True,
        samesite="lax",
    )


def clear_flash(request: Request, response: Response) -> None:
    """Delete the flash cookie: it has been shown."""
    response.delete_cookie(
        FLASH_COOKIE, path="/", secure=request.app.state.settings.is_production, httponly=True, samesite="lax"
    )


def redirect_with_flash(request: Request, url: str, message: str, kind: str = "success") -> RedirectResponse:
    """The 303 after a successful post, carrying the confirmation for the page it leads to."""
    response = RedirectResponse(url, status_code=303)
    set_flash(request, response, message, kind)
    return response


# --- a form shown again -------------------------------------------------------------------


def error_field(exc: SecassistError, aliases: dict[str, str] | None = None) -> str:
    """The form field an error names (renamed through ``aliases``), or ``form``."""
    name = str(exc.detail.get("field") or "")
    name = (aliases or {}).get(name, name)
    return name or "form"


@dataclass
class FormState:
    """What a form was given and, once refused, the error beside each field.

    Templates read ``form.values`` and ``form.errors`` (``_form.html`` macros take both);
    ``form.errors["form"]`` is an error that names no field, shown above the form.
    """

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    name: str = ""  # which form on a page with several (e.g. "decision")

    def refused(self, exc: SecassistError, aliases: dict[str, str] | None = None) -> FormState:
        """This form with the error of ``exc`` beside the field it names."""
        self.errors[error_field(exc, aliases)] = exc.message
        return self

    def error(self, name: str, message: str) -> FormState:
        self.errors[name] = message
        return self

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- confirm once ---------------------------------------------------------------------------


def _confirm_token(request: Request, action: str, values: dict[str, str]) -> str:
    web_user = getattr(request.state, "web_user", None)
    session_token = web_user.csrf_token if web_user is not None else ""
    payload = json.dumps([action, sorted(values.items()), session_token], separators=(",", ":"))
    return hmac.new(_key(request, b"confirm"), payload.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Confirmation:
    """The confirmation step: what will be done, posted again to ``url`` with ``values``."""

    summary: str  # names the action and the amount: "Obligate $1,250,000.00 from FMF FY2024 to PL-B-ZAA"
    url: str
    values: dict[str, str]
    token: str
    cancel: str
    button: str = "Confirm"
    details: tuple[tuple[str, str], ...] = ()  # (label, value) rows shown under the summary
    warning: str = ""


def confirmation(
    request: Request,
    *,
    action: str,
    summary: str,
    url: str,
    values: dict[str, str],
    cancel: str,
    button: str = "Confirm",
    details: tuple[tuple[str, str], ...] = (),
    warning: str = "",
) -> Confirmation:
    """The confirmation page's content for ``action`` with these ``values`` (render it with
    ``templates/confirm.html``: ``page(request, "confirm.html", active=..., confirm=...)``)."""
    return Confirmation(
        summary=summary,
        url=url,
        values=dict(values),
        token=_confirm_token(request, action, values),
        cancel=cancel,
        button=button,
        details=details,
        warning=warning,
    )


def is_confirmed(request: Request, action: str, values: dict[str, str], sent: str) -> bool:
    """Whether the post carries the confirmation of exactly this action with these values."""
    if not sent:
        return False
    return hmac.compare_digest(sent.encode(), _confirm_token(request, action, values).encode())
