"""Administration pages (issue #15), for administrators only: users (add, disable and
enable, lift a login lockout, change roles and organization), organizations, and API
tokens (issue with scopes — the secret shown once, on the answer to the form, never
stored — and revoke).

A user without ``user:admin`` gets the same 404 page as a missing one, and any post from
them is refused (403) before anything runs; the identity services check the permission
again. Disabling a user and revoking a token ask once: both cut off access at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.core.clock import now
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity import queries, service
from secassist.identity import tokens as token_service
from secassist.identity.models import User
from secassist.identity.permissions import ALL_PERMISSIONS, KIND_ROLES, OrgKind, Role
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only
from secassist.web.auth import NO_STORE, WebUser, WebUserDep, form_write, load_web_user
from secassist.web.forms import (
    FORM_ERRORS,
    ConfirmField,
    CsrfField,
    FormState,
    confirmation,
    is_confirmed,
    redirect_with_flash,
)
from secassist.web.render import code_label, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

ADMIN = "user:admin"
Short = Annotated[str, Form(max_length=200)]
Password = Annotated[str, Form(max_length=1024)]
Many = Annotated[list[str] | None, Form()]
ALIASES = {"organization_id": "organization", "user_id": "user", "country_code": "country"}


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _reader(web_user: WebUser) -> Principal:
    """An administrator; anyone else gets the 404 of a page that does not exist."""
    if ADMIN not in web_user.principal.permissions:
        raise NotFoundError("page not found")
    return web_user.principal


def _writer(web_user: WebUser) -> Principal:
    """An administrator posting a form; anyone else is refused before anything runs."""
    if ADMIN not in web_user.principal.permissions:
        raise PermissionDeniedError("only administrators manage users, organizations and tokens")
    return web_user.principal


def _id(text: str, field: str) -> int:
    if not text.strip().isdigit():
        raise ValidationFailedError(f"{field}: choose one", field=field)
    return int(text)


def _page(request: Request, template: str, *, status: int = 200, **context: object) -> Response:
    response = page(request, template, active="admin", status=status, **context)
    response.headers.update(NO_STORE)
    return response


def _role_choices() -> list[tuple[str, str]]:
    """Every role with the organization kinds that may grant it."""
    out = []
    for role in Role:
        kinds = ", ".join(code_label(k.value, "org_kind") for k in OrgKind if role in KIND_ROLES[k])
        out.append((role.value, f"{role.value.replace('_', ' ')} ({kinds})"))
    return out


# --- users ----------------------------------------------------------------------------------


def _users_page(
    request: Request, session: Session, p: Principal, form: FormState, status: int = 200
) -> Response:
    users = queries.list_users(session, actor=p)
    orgs = {o.id: o for o in queries.list_organizations(session, actor=p)}
    return _page(
        request,
        "admin/users.html",
        status=status,
        users=users,
        roles=queries.roles_by_user(session, [u.id for u in users]),
        orgs=orgs,
        org_options=[(str(o.id), f"{o.name} ({code_label(o.kind, 'org_kind')})") for o in orgs.values()],
        role_choices=_role_choices(),
        now=now(clock_of(request)),
        form=form,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_home(web_user: WebUserDep) -> Response:
    """The administration starts with the users."""
    if web_user is None:
        return _login("/admin")
    _reader(web_user)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """Every user with organization, roles and state, and the form for a new one."""
    if web_user is None:
        return _login("/admin/users")
    return _users_page(request, session, _reader(web_user), FormState(name="user"))


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    web_user: WebUserDep,
    username: Short = "",
    display_name: Short = "",
    organization: Short = "",
    roles: Many = None,
    password: Password = "",
    password2: Password = "",
    csrf: CsrfField = "",
) -> Response:
    """Add a user; the password is never shown again, not even on a refused form."""
    if web_user is None:
        return _login("/admin/users")
    p = _writer(web_user)
    chosen = roles or []
    form = FormState(
        {"username": username, "display_name": display_name, "organization": organization,
         "roles": " ".join(chosen)},
        name="user",
    )  # fmt: skip
    try:
        org_id = _id(organization, "organization")
        if password != password2:
            raise ValidationFailedError("password2: the two passwords differ", field="password2")
        with form_write(request, csrf) as s:
            user = service.create_user(
                s, actor=p, username=username, display_name=display_name, organization_id=org_id,
                roles=chosen, password=password, clock=clock_of(request),
            )  # fmt: skip
            uid, name = user.id, user.username
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return _users_page(request, s, p, form.refused(exc, ALIASES), status=422)
    return redirect_with_flash(request, f"/admin/users/{uid}", f"Added user {name}.")


def _user_page(
    request: Request,
    session: Session,
    p: Principal,
    user_id: int,
    *,
    status: int = 200,
    form: FormState | None = None,
) -> Response:
    user = queries.visible_user(session, actor=p, user_id=user_id)
    roles = queries.roles_by_user(session, [user.id])[user.id]
    orgs = queries.list_organizations(session, actor=p)
    at = now(clock_of(request))
    current = FormState({"organization": str(user.organization_id), "roles": " ".join(roles)}, name="roles")
    return _page(
        request,
        "admin/user.html",
        status=status,
        user=user,
        org=service.get_organization(session, user.organization_id),
        user_roles=roles,
        locked=user.locked_until is not None and user.locked_until > at,
        tokens=queries.list_tokens(session, actor=p, user_id=user.id),
        token_status=lambda t: queries.token_status(t, at),
        org_options=[(str(o.id), f"{o.name} ({code_label(o.kind, 'org_kind')})") for o in orgs],
        role_choices=_role_choices(),
        # The roles form as given (refused), else as the user is now; a refused disable
        # shows its error above the access buttons.
        form=form if form is not None and form.name == "roles" else current,
        active_error=form.errors.get("form", "") if form is not None and form.name == "active" else "",
        is_self=user.id == p.user_id,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One user: organization, roles, state, tokens, and the forms that change them."""
    if web_user is None:
        return _login(f"/admin/users/{user_id}")
    return _user_page(request, session, _reader(web_user), user_id)


@router.post("/admin/users/{user_id}/roles", response_class=HTMLResponse)
def change_roles(
    user_id: int,
    request: Request,
    web_user: WebUserDep,
    organization: Short = "",
    roles: Many = None,
    csrf: CsrfField = "",
) -> Response:
    """Move the user to an organization and/or change their roles."""
    if web_user is None:
        return _login(f"/admin/users/{user_id}")
    p = _writer(web_user)
    chosen = roles or []
    form = FormState({"organization": organization, "roles": " ".join(chosen)}, name="roles")
    try:
        with form_write(request, csrf) as s:
            user = service.set_roles(
                s, actor=p, user_id=user_id, organization_id=_id(organization, "organization"), roles=chosen,
                clock=clock_of(request),
            )  # fmt: skip
            name = user.username
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return _user_page(request, s, p, user_id, status=422, form=form.refused(exc, ALIASES))
    return redirect_with_flash(request, f"/admin/users/{user_id}", f"Saved {name}'s organization and roles.")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def set_active(
    user_id: int,
    request: Request,
    web_user: WebUserDep,
    active: Short = "",
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Disable (asks once: sessions end and tokens are revoked at once) or enable a user."""
    if web_user is None:
        return _login(f"/admin/users/{user_id}")
    p = _writer(web_user)
    enable = active == "yes"
    values = {"active": "yes" if enable else "no"}
    with read_only(session_factory(request)) as s:
        target: User = queries.visible_user(s, actor=p, user_id=user_id)
        name = target.username
    if not enable:
        if user_id == p.user_id:
            with read_only(session_factory(request)) as s:
                form = FormState(name="active").error("form", "You cannot disable your own account.")
                return _user_page(request, s, p, user_id, status=422, form=form)
        if not is_confirmed(request, f"admin:disable:{user_id}", values, confirmed):
            ask = confirmation(
                request,
                action=f"admin:disable:{user_id}",
                summary=f"Disable {name}",
                url=request.url.path,
                values=values,
                cancel=f"/admin/users/{user_id}",
                button="Disable the account",
                warning="Their web sessions end and every API token of theirs is revoked at once; "
                "enabling the account again does not bring the tokens back.",
            )
            return _page(request, "confirm.html", confirm=ask)
    with form_write(request, csrf) as s:
        service.set_active(s, actor=p, user_id=user_id, active=enable, clock=clock_of(request))
    verb = "Enabled" if enable else "Disabled"
    return redirect_with_flash(request, f"/admin/users/{user_id}", f"{verb} {name}.")


@router.post("/admin/users/{user_id}/unlock", response_class=HTMLResponse)
def unlock(user_id: int, request: Request, web_user: WebUserDep, csrf: CsrfField = "") -> Response:
    """Lift a lockout after repeated failed logins."""
    if web_user is None:
        return _login(f"/admin/users/{user_id}")
    p = _writer(web_user)
    with form_write(request, csrf) as s:
        name = service.unlock(s, actor=p, user_id=user_id, clock=clock_of(request)).username
    return redirect_with_flash(request, f"/admin/users/{user_id}", f"Lifted {name}'s lockout.")


# --- organizations ----------------------------------------------------------------------------


def _orgs_page(
    request: Request, session: Session, p: Principal, form: FormState, status: int = 200
) -> Response:
    counts: dict[int, int] = {}
    for u in queries.list_users(session, actor=p):
        counts[u.organization_id] = counts.get(u.organization_id, 0) + 1
    return _page(
        request,
        "admin/organizations.html",
        status=status,
        orgs=queries.list_organizations(session, actor=p),
        counts=counts,
        kinds=[(k.value, code_label(k.value, "org_kind")) for k in OrgKind],
        form=form,
    )


@router.get("/admin/organizations", response_class=HTMLResponse)
def organizations(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """Organizations with their kind, country and users, and the form for a new one."""
    if web_user is None:
        return _login("/admin/organizations")
    return _orgs_page(request, session, _reader(web_user), FormState(name="org"))


@router.post("/admin/organizations", response_class=HTMLResponse)
def add_organization(
    request: Request,
    web_user: WebUserDep,
    name: Short = "",
    kind: Short = "",
    country: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Add an organization (SCOs and partners name their country, others must not)."""
    if web_user is None:
        return _login("/admin/organizations")
    p = _writer(web_user)
    form = FormState({"name": name, "kind": kind, "country": country}, name="org")
    try:
        with form_write(request, csrf) as s:
            org = service.create_organization(
                s,
                actor=p,
                name=name,
                kind=kind,
                country_code=country.strip() or None,
                clock=clock_of(request),
            )
            oname = org.name
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return _orgs_page(request, s, p, form.refused(exc, ALIASES), status=422)
    return redirect_with_flash(request, "/admin/organizations", f"Added the organization {oname}.")


# --- API tokens -----------------------------------------------------------------------------


def _tokens_page(
    request: Request,
    session: Session,
    p: Principal,
    form: FormState,
    *,
    status: int = 200,
    issued: tuple[str, str] | None = None,
) -> Response:
    at = now(clock_of(request))
    found = queries.list_tokens(session, actor=p)
    users = {u.id: u for u in queries.list_users(session, actor=p)}
    return _page(
        request,
        "admin/tokens.html",
        status=status,
        tokens=found,
        users=users,
        status_of=lambda t: queries.token_status(t, at),
        user_options=[(str(u.id), f"{u.username} — {u.display_name}") for u in users.values() if u.is_active],
        scopes=sorted(ALL_PERMISSIONS),
        form=form,
        issued=issued,
    )


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """Every API token (never a hash or a secret), and the form to issue one."""
    if web_user is None:
        return _login("/admin/tokens")
    return _tokens_page(request, session, _reader(web_user), FormState({"days": "90"}, name="token"))


@router.post("/admin/tokens", response_class=HTMLResponse)
def issue(
    request: Request,
    web_user: WebUserDep,
    user: Short = "",
    name: Short = "",
    scopes: Many = None,
    days: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Issue a token narrowed to the chosen scopes (none chosen: all of the user's). The
    secret is in this answer only — not in a redirect, a cookie or the log."""
    if web_user is None:
        return _login("/admin/tokens")
    p = _writer(web_user)
    chosen = scopes or []
    form = FormState({"user": user, "name": name, "scopes": " ".join(chosen), "days": days}, name="token")
    try:
        uid = _id(user, "user")
        if not days.strip().isdigit():
            raise ValidationFailedError(f"days: {days!r} is not a number of days", field="days")
        with form_write(request, csrf) as s:
            raw, token = token_service.issue_token(
                s, actor=p, user_id=uid, name=name, scopes=chosen or None, days=int(days),
                clock=clock_of(request),
            )  # fmt: skip
            owner = service.get_user(s, uid).username
            label = f"token {token.id} ({token.name}) for {owner}, {len(token.scopes.split())} permissions"
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return _tokens_page(request, s, p, form.refused(exc, ALIASES), status=422)
    with read_only(session_factory(request)) as s:
        return _tokens_page(
            request, s, p, FormState({"days": "90"}, name="token"), status=201, issued=(label, raw)
        )


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke(
    token_id: int,
    request: Request,
    web_user: WebUserDep,
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Revoke a token (asks once: it stops working at once)."""
    if web_user is None:
        return _login("/admin/tokens")
    p = _writer(web_user)
    with read_only(session_factory(request)) as s:
        token = next((t for t in queries.list_tokens(s, actor=p) if t.id == token_id), None)
        if token is None:
            raise NotFoundError("token not found")
        owner = service.get_user(s, token.user_id).username
        summary = f"Revoke token {token.id} ({token.name}, {token.prefix}…) of {owner}"
    if not is_confirmed(request, f"admin:revoke:{token_id}", {}, confirmed):
        ask = confirmation(
            request,
            action=f"admin:revoke:{token_id}",
            summary=summary,
            url=request.url.path,
            values={},
            cancel="/admin/tokens",
            button="Revoke the token",
            warning="Every program using it is refused from the next request on.",
        )
        return _page(request, "confirm.html", confirm=ask)
    with form_write(request, csrf) as s:
        token_service.revoke_token(s, actor=p, token_id=token_id, clock=clock_of(request))
    return redirect_with_flash(request, "/admin/tokens", f"Revoked token {token_id}.")
