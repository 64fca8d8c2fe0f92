"""``rightsindex serve`` (the analyst web app) and ``rightsindex user`` (its local accounts)."""

from __future__ import annotations

from typing import Optional

import typer

from .common import DB_HELP, _open_store, app, fail, say, user_app


@app.command("serve")
def serve_cmd(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    public: bool = typer.Option(False, "--public", help="Read-only public mode: no sign-in, nothing can be changed."),
    workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
    base_url: Optional[str] = typer.Option(
        None, "--base-url", help="The address people reach the app at (e.g. https://index.example.org), for the feed's links "
        "(default: $RIGHTSINDEX_BASE_URL; without it links are relative; never taken from a request's Host header)."),
    forwarded_allow_ips: Optional[str] = typer.Option(
        None, "--forwarded-allow-ips", metavar="ADDRESSES",
        help="Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks; default: "
        "$RIGHTSINDEX_FORWARDED_ALLOW_IPS, else none: the connection's address is the client's)."),
) -> None:
    """The analyst web app: ranking, scorecards, elements with evidence, review, document diffs, JSON API.

    Shows the latest finished assessment of the current policies unless another is chosen
    (?assessment=ID; as-of assessments only so); every page says which policies it shows."""
    from ..store import StoreError
    from ..web import serve

    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        raise fail(f"--base-url {base_url!r}: give an http(s) address such as https://index.example.org")
    try:
        serve(db, host, port, public, workers=workers, base_url=base_url, forwarded_allow_ips=forwarded_allow_ips)
    except StoreError as exc:
        raise fail(str(exc))


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("analyst", "--role", help="viewer, analyst or admin."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Add a user; the password is asked for (never passed on the command line)."""
    from ..review import AccountError, add_user
    from ..review.accounts import ROLES

    if (role or "").strip().lower() not in ROLES:  # before asking for a password
        raise fail(f"--role {role!r} is not one of: {', '.join(ROLES)}")
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(_open_store(db), username, role, password)
    except AccountError as exc:
        raise fail(str(exc))
    say(f"added {username} ({role})")


@user_app.command("list")
def user_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List users and their roles."""
    from ..review.accounts import list_users

    for u in list_users(_open_store(db)):
        say(f"{u['username']}\t{u['role']}\t{'active' if u['active'] else 'disabled'}")


