"""The logged-in user's own page (issue #15): organization, roles and permissions, and
their own API tokens — list, issue and revoke.

Every role holds ``token:write`` (issue one's own token), so the form is here for every
user, not only on the administrators' ``/admin/tokens``. The scopes offered are the user's
own permissions and the identity service caps them again
(:func:`secassist.identity.tokens.issue_token`); the raw token is in the answer to the
form only — not in a redirect, a cookie or the log. Revoking asks once: the token stops
working at once. Both are audited by the token services.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.core.clock import now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity import queries, service
from secassist.identity import tokens as token_service
from secassist.identity.permissions import ACTIONS
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only
from secassist.web.auth import NO_STORE, WebUserDep, form_write, load_web_user
from secassist.web.forms import (
    FORM_ERRORS,
    ConfirmField,
    CsrfField,
    FormState,
    confirmation,
    is_confirmed,
    redirect_with_flash,
)
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

Short = Annotated[str, Form(max_length=200)]
Many = Annotated[list[str] | None, Form()]
DEFAULT_DAYS = "90"


def _login() -> RedirectResponse:
    return RedirectResponse("/login?next=/account", status_code=303)


def _fresh_form() -> FormState:
    return FormState({"days": DEFAULT_DAYS}, name="token")


def _account_page(
    request: Request,
    session: Session,
    p: Principal,
    form: FormState,
    *,
    status: int = 200,
    issued: tuple[str, str] | None = None,
) -> Response:
    at = now(clock_of(request))
    user = service.get_user(session, p.user_id)
    by_resource: dict[str, list[str]] = {}
    for perm in sorted(p.permissions):
        resource, _, action = perm.partition(":")
        by_resource.setdefault(resource, []).append(action)
    for actions in by_resource.values():
        actions.sort(key=ACTIONS.index)
    response = page(
        request,
        "account.html",
        active="account",
        status=status,
        principal=p,
        user=user,
        roles=sorted(r.value for r in p.roles),
        permissions=by_resource,
        # user_id narrows an administrator's listing (token:admin sees everyone's) to their own.
        tokens=queries.list_tokens(session, actor=p, user_id=p.user_id),
        status_of=lambda t: queries.token_status(t, at),
        # The auditor's role is read-only (no token:write): it sees its tokens, no form.
        may_issue="token:write" in p.permissions,
        scopes=sorted(p.permissions),
        form=form,
        issued=issued,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The logged-in user's organization, country, roles, permissions and API tokens."""
    if web_user is None:
        return _login()
    return _account_page(request, session, web_user.principal, _fresh_form())


@router.post("/account/tokens", response_class=HTMLResponse)
def issue_own_token(
    request: Request,
    web_user: WebUserDep,
    name: Short = "",
    scopes: Many = None,
    days: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Issue a token for oneself, narrowed to the chosen scopes (none chosen: all of one's
    own). The service refuses a scope the user does not hold; the secret is shown once."""
    if web_user is None:
        return _login()
    p = web_user.principal
    chosen = scopes or []
    form = FormState({"name": name, "scopes": " ".join(chosen), "days": days}, name="token")
    try:
        if not days.strip().isdigit():
            raise ValidationFailedError(f"days: {days!r} is not a number of days", field="days")
        with form_write(request, csrf) as s:
            raw, token = token_service.issue_token(
                s, actor=p, user_id=p.user_id, name=name, scopes=chosen or None, days=int(days),
                clock=clock_of(request),
            )  # fmt: skip
            label = f"token {token.id} ({token.name}), {len(token.scopes.split())} permissions"
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return _account_page(request, s, p, form.refused(exc), status=422)
    with read_only(session_factory(request)) as s:
        return _account_page(request, s, p, _fresh_form(), status=201, issued=(label, raw))


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_own_token(
    token_id: int,
    request: Request,
    web_user: WebUserDep,
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Revoke one of one's own tokens (asks once: it stops working at once). Another
    user's token is not found here, whatever the role (administrators use /admin/tokens)."""
    if web_user is None:
        return _login()
    p = web_user.principal
    with read_only(session_factory(request)) as s:
        own = queries.list_tokens(s, actor=p, user_id=p.user_id)
        token = next((t for t in own if t.id == token_id), None)
        if token is None:
            raise NotFoundError("token not found")
        summary = f"Revoke your token {token.id} ({token.name}, {token.prefix}…)"
    action = f"account:revoke:{token_id}"
    if not is_confirmed(request, action, {}, confirmed):
        ask = confirmation(
            request,
            action=action,
            summary=summary,
            url=request.url.path,
            values={},
            cancel="/account#tokens",
            button="Revoke the token",
            warning="Every program using it is refused from the next request on.",
        )
        response = page(request, "confirm.html", active="account", confirm=ask)
        response.headers.update(NO_STORE)
        return response
    with form_write(request, csrf) as s:
        token_service.revoke_token(s, actor=p, token_id=token_id, clock=clock_of(request))
    return redirect_with_flash(request, "/account#tokens", f"Revoked token {token_id}.")
