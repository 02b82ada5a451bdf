"""The ``qtm`` command: the one entry point for people and scripts.

This module is the composition root: it reads settings, loads the registry, opens the store and hands them to
the loaders and the dashboard. Errors meant for the user print as one line, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qtm import config
from qtm.errors import QtmError
from qtm.escaping import json_text, printable

if TYPE_CHECKING:  # imported where a command uses them, so that each command loads only what it needs
    from loaders.originals import Inventory
    from qtm.accounts import User
    from qtm.config import Settings
    from qtm.progress import Result
    from qtm.regions import Regions
    from qtm.registry import Registry
    from qtm.store import Store, StoredBatch

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Print any error of the family (:class:`QtmError`) as one line on stderr — its Chinese and English message,
    or the one it has — and exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QtmError as exc:
            click.echo(f"qtm: error: {printable(exc.message)}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _registry(settings: Settings, path: Path | None = None) -> Registry:
    from qtm.registry import load_registry

    return load_registry(path or settings.registry_file, _regions(settings))


def _regions(settings: Settings) -> Regions:
    from qtm.regions import load_regions

    return load_regions(settings.regions_file)


def _open_store(url: str, *, migrate: bool = True) -> Store:
    from qtm.store import Store

    return Store.open(url, migrate=migrate)


def _as_of(text: str | None) -> dt.date:
    """The --as-of date (YYYY-MM-DD), today when not given."""
    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def _echo_json(data: object) -> None:
    """Print ``data`` as JSON that every parser reads (a number that is not finite, a value too large for a float,
    prints as null) and that a terminal shows as it is: control, format and bidirectional characters in stored
    text are written as ``\\uXXXX`` escapes (qtm.escaping), and read back as they were typed."""
    click.echo(json_text(data))


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


@click.group()
@click.version_option(package_name="quality-target-monitor")
@_user_errors
def main() -> None:
    """qtm — the quality-target monitor (质量目标监测)."""
    config.current()  # a bad QTM_* setting stops every command here, in one line, before it opens anything


from qtm_command.plans import plans  # noqa: E402  (a command group of its own module)

main.add_command(plans)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash debug mode (reloader and dev tools).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Serve with gunicorn, this many worker processes (docs/deploy.md); without it, one development server.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per worker, with --workers (default 4): a long request holds one thread, not a worker.",
)
@_user_errors
def serve(host: str, port: int, debug: bool, workers: int | None, threads: int | None) -> None:
    """Start the dashboard."""
    if workers is not None:
        _serve_workers(host, port, debug, workers, threads)
        return
    if threads is not None:
        raise click.UsageError("--threads needs --workers")
    from dashboard.app import create_app

    settings = config.current()
    registry = _registry(settings)
    store = _open_store(settings.database_url)
    _sweep_originals(store)
    app = create_app(registry, store, host=host)
    if (
        settings.warm and not debug
    ):  # as each worker of --workers does (qtm_command.serving); the reloader would warm twice
        from dashboard import warming

        warming.Warmer(app).start()
    click.echo(f"qtm: serving http://{host}:{port}/ (database {_safe_url(settings.database_url)})", err=True)
    app.run(host=host, port=port, debug=debug)  # a taken port or a foreign address: werkzeug says so, exit 1


def _serve_workers(host: str, port: int, debug: bool, workers: int, threads: int | None) -> None:
    """``qtm serve --workers N``: gunicorn in this process (qtm_command.serving)."""
    from qtm_command.serving import DEFAULT_THREADS, serve_workers

    if debug:
        raise click.UsageError("--debug is for the development server: leave out --workers")
    settings = config.current()
    registry = _registry(settings)
    _sweep_originals(_open_store(settings.database_url))
    serve_workers(
        settings, registry, host=host, port=port, workers=workers, threads=threads or DEFAULT_THREADS
    )


def _sweep_originals(store: Store) -> None:
    """At start-up: remove the originals left by commits that never ended and rename those of batches committed
    just before a kill (loaders.originals); say so, and warn of batches without their original."""
    from loaders import originals

    folder = originals.originals_dir()
    try:
        found = originals.check(store, folder)
        swept = originals.sweep(store, found)
    except OSError as exc:
        click.echo(f"qtm: warning: cannot check the originals in {folder}: {printable(exc)}", err=True)
        return
    if swept.removed or swept.marked:
        click.echo(
            f"qtm: originals: removed {len(swept.removed)} left by commits that never ended, renamed "
            f"{len(swept.marked)} for their batch ({folder})",
            err=True,
        )
    if found.missing:
        click.echo(
            f"qtm: warning: {len(found.missing)} batches without their original in {folder}: see qtm db check",
            err=True,
        )


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Jobs run at once by this worker, each in a process of its own.",
)
@_user_errors
def worker(concurrency: int) -> None:
    """Run the dashboard's background jobs (checking and storing uploads, report packs) with Celery, for servers
    started with QTM_JOBS=celery and QTM_REDIS_URL (docs/deploy.md). Stops on Ctrl-C or SIGTERM."""
    from dashboard import jobs
    from dashboard.app import create_app

    if jobs.kind() != "celery":
        raise click.UsageError(
            "qtm worker runs Celery jobs: set QTM_JOBS=celery and QTM_REDIS_URL (docs/deploy.md)"
        )
    settings = config.current()
    registry = _registry(settings)
    create_app(
        registry, _open_store(settings.database_url)
    )  # the pages' callbacks, registered as Celery tasks
    jobs.check_broker()
    click.echo(
        f"qtm: running background jobs from {jobs.broker_text()} (database {_safe_url(settings.database_url)})",
        err=True,
    )
    jobs.celery_app().worker_main(
        ["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print plans, indicators and targets as JSON.")
@click.pass_context
@_user_errors
def targets(ctx: click.Context, as_json: bool) -> None:
    """List the targets of the registry (targets.yaml)."""
    if ctx.invoked_subcommand is not None:
        return
    registry = _registry(config.current())
    if as_json:
        _echo_json(registry.as_json())
        return
    for target in registry.targets.values():
        indicator = registry.indicators[target.indicator]
        region = registry.regions.get(target.jurisdiction)
        click.echo(
            f"{target.id:55} {region.name_zh:6} {indicator.name.zh} {_target_text(registry, target.id)}"
        )


def _target_text(registry: Registry, target_id: str) -> str:
    from qtm.formatting import target_text

    return target_text(registry, registry.targets[target_id])


@targets.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@_user_errors
def targets_check(file: Path | None) -> None:
    """Check a registry file (default: the configured targets.yaml); exit 1 with the first problem."""
    settings = config.current()
    registry = _registry(settings, file)
    click.echo(
        f"{registry.source}: ok — {len(registry.plans)} plans, {len(registry.indicators)} indicators, "
        f"{len(registry.targets)} targets"
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the regions as JSON.")
@_user_errors
def regions(as_json: bool) -> None:
    """List the known regions (GB/T 2260 codes) with their parent."""
    known = _regions(config.current())
    rows = [
        {
            "code": r.code,
            "name_zh": r.name_zh,
            "name_en": r.name_en,
            "short": list(r.short),
            "parent": r.parent,
            "level": r.level,
        }
        for r in known
    ]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['code']}  {row['parent'] or '':6}  {row['name_zh']}  {row['name_en']}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check only; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--as",
    "user",
    default=None,
    help="Who is uploading, as recorded with the login name (default: the login name); never a permission.",
)
@_user_errors
def ingest(files: tuple[Path, ...], dry_run: bool, as_json: bool, user: str | None) -> None:
    """Read returns (Excel or CSV), check them and store each accepted file as one batch.

    The uploader is recorded as the login name, or as "NAME (login)" with --as NAME: --as is kept for the audit
    trail, never checked as a permission (whoever runs qtm on this machine owns its database).
    Exit 0: every file accepted; 1: a file rejected for its content (nothing from it stored);
    2: a file that cannot be read at all.
    """
    from loaders.ingest import ingest_file

    settings = config.current()
    registry = _registry(settings)
    store = _open_store(settings.database_url)
    results = [
        ingest_file(path, registry, store, uploaded_by=_actor(user), dry_run=dry_run) for path in files
    ]
    if as_json:
        _echo_json({"files": [r.as_json(registry) for r in results]})
    else:
        for result in results:
            for issue in result.report.issues:
                click.echo(printable(issue.describe(result.file)), err=True)
            click.echo(
                f"{printable(result.file)}: {result.status}, {len(result.observations)} observations, "
                f"{len(result.report.errors)} errors, {len(result.report.warnings)} warnings"
            )
    if any(r.status == "unreadable" for r in results):
        sys.exit(2)
    if any(r.status == "rejected" for r in results):
        sys.exit(1)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _actor(named: str | None) -> str:
    """Who the audit trail and the batches record for a command: the login name, or "NAME (login)" when --as named
    someone else. --as is recorded, never used for permissions: the operator of the machine owns the database."""
    login = _login()
    named = named.strip() if named is not None else None
    if not named or named == login:
        return login
    return f"{named} ({login})"


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (the shape of qtm ingest --json).")
@click.option("--indicator", default=None, help="Indicator id or name.")
@click.option("--region", default=None, help="Region code or name.")
@_user_errors
def data(as_json: bool, indicator: str | None, region: str | None) -> None:
    """Print the current stored observations."""
    settings = config.current()
    registry = _registry(settings)
    indicator_id = _indicator_id(registry, indicator) if indicator is not None else None
    region_code = _region_code(registry, region) if region is not None else None
    store = _open_store(settings.database_url)
    rows = store.current(indicator=indicator_id, region=region_code)
    if as_json:
        _echo_json({"observations": [o.as_json(registry.indicators[o.indicator].unit) for o in rows]})
        return
    for o in rows:
        unit = registry.indicators[o.indicator].unit
        flags = printable(f" [{','.join(sorted(o.flags))}]" if o.flags else "")
        click.echo(
            f"{printable(o.indicator):45} {printable(o.region)} {printable(o.period):8} {o.value:>12g} {unit}{flags}"
        )


def _indicator_id(registry: Registry, written: str) -> str:
    found = registry.resolve_indicator(written)
    if found is None:
        raise click.BadParameter(f"unknown indicator {written!r}", param_hint="--indicator")
    return found.id


def _region_code(registry: Registry, written: str) -> str:
    place = registry.regions.resolve(written)
    if place is None:
        raise click.BadParameter(f"unknown region {written!r}", param_hint="--region")
    return place.code


@main.command()
@click.option("--indicator", required=True, help="Indicator id or name.")
@click.option("--region", required=True, help="Region code or name.")
@click.option("--json", "as_json", is_flag=True, help="Print the revisions as JSON.")
@_user_errors
def history(indicator: str, region: str, as_json: bool) -> None:
    """Every value ever stored for one indicator and region: each period's revisions, oldest first, with the
    batch that stored it, its flags, and whether it is current or which batch superseded or withdrew it."""
    settings = config.current()
    registry = _registry(settings)
    indicator_id, region_code = _indicator_id(registry, indicator), _region_code(registry, region)
    store = _open_store(settings.database_url)
    rows = store.history_for(indicator_id, region_code)
    stored = {b.id: b for b in store.batches()}
    unit = registry.indicators[indicator_id].unit
    revisions: list[dict[str, Any]] = []
    for row in rows:
        o, batch = row.observation, stored.get(row.batch_id)
        ended_by = stored.get(row.superseded_by) if row.superseded_by is not None else None
        revisions.append(
            {
                "period": str(o.period),
                "value": o.value,
                "value_as_written": o.value_as_written,
                "unit_as_written": o.unit_as_written,
                "flags": sorted(o.flags),
                "source": o.source,
                "batch": row.batch_id,
                "file_name": batch.file_name if batch else None,
                "uploaded_by": batch.uploaded_by if batch else None,
                "uploaded_at": batch.uploaded_at.isoformat() if batch else None,
                "current": row.superseded_by is None,
                "superseded_by": row.superseded_by,
                "withdrawn": ended_by is not None and ended_by.kind == "withdrawal",
            }
        )
    if as_json:
        _echo_json({"indicator": indicator_id, "region": region_code, "unit": unit, "revisions": revisions})
        return
    name = registry.indicators[indicator_id].name
    place = registry.regions.get(region_code)
    click.echo(
        f"{name.zh} {name.en} [{indicator_id}] · {place.name_zh} {place.name_en} ({region_code}) · {unit}"
    )
    if not revisions:
        click.echo("无数据 / no values stored")
        return
    for r in revisions:
        if r["current"]:
            state = "当前 current"
        elif r["withdrawn"]:
            state = f"已被批次 {r['superseded_by']} 撤回 withdrawn by batch {r['superseded_by']}"
        else:
            state = f"已被批次 {r['superseded_by']} 取代 superseded by batch {r['superseded_by']}"
        flags = printable(f" [{','.join(r['flags'])}]" if r["flags"] else "")
        when = f"{dt.datetime.fromisoformat(r['uploaded_at']):%Y-%m-%d}" if r["uploaded_at"] else "?"
        click.echo(
            f"  {r['period']:8} {r['value']:>12g}{flags:14}  batch {r['batch']} ({printable(r['file_name'])}, "
            f"{printable(r['uploaded_by'])}, {when})  {state}"
        )


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
@click.pass_context
@_user_errors
def batches(ctx: click.Context, as_json: bool) -> None:
    """List the stored batches, oldest first: uploads and withdrawals, who made them and when, and what they did."""
    if ctx.invoked_subcommand is not None:
        return
    from qtm.formatting import beijing_time

    stored = _open_store(config.current().database_url).batches()
    if as_json:
        _echo_json({"batches": [_batch_json(b) for b in stored]})
        return
    if not stored:
        click.echo("没有批次 / no batches stored yet")
        return
    header = [
        "批次 id",
        "类型 kind",
        "时间（北京时间）",
        "填报人 by",
        *("新存 stored", "取代 superseded", "未变 unchanged", "警告 warnings"),
        "文件 file",
    ]
    rows = [
        [
            str(b.id),
            "上传 upload" if b.kind == "upload" else f"撤回 {printable(b.kind)}",
            beijing_time(b.uploaded_at, labelled=False),
            printable(b.uploaded_by),
            str(b.n_observations),
            str(b.n_superseded),
            str(b.n_unchanged),
            str(b.n_warnings),
            _batch_file(b) + _batch_note(b),
        ]
        for b in stored
    ]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    right = {0, 4, 5, 6, 7}  # numbers line up on the right
    for row in [header, *rows]:
        cells = [
            " " * (w - _width(cell)) + cell if i in right else _pad(cell, w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        click.echo(("  ".join(cells) + "  " + row[-1]).rstrip())


def _batch_note(batch: StoredBatch) -> str:
    """What a listing adds after the file name: that an upload was withdrawn, or what a withdrawal did and why."""
    if batch.withdrawn_by is not None:
        return f"  — 已撤回 withdrawn by batch {batch.withdrawn_by}"
    if batch.kind == "withdrawal":
        restored = next((e.get("n_restored") for e in batch.report if e.get("code") == "withdrawal"), None)
        note = (
            f"  — 撤回 {batch.n_superseded} 个数值，{restored} 个先前数值恢复为现行 "
            f"{batch.n_superseded} values withdrawn, {restored} earlier values current again"
        )
        return note + (f"；理由 reason: {printable(batch.reason)}" if batch.reason else "")
    return ""


def _batch_file(batch: StoredBatch) -> str:
    """The file of an upload; for a withdrawal, the batch it withdrew, in words."""
    if batch.kind == "withdrawal" and batch.withdraws is not None:
        return f"撤回批次 {batch.withdraws} withdrawal of batch {batch.withdraws}"
    return printable(batch.file_name)


def _batch_json(batch: StoredBatch) -> dict[str, object]:
    return {
        "id": batch.id,
        "kind": batch.kind,
        "uploaded_at": batch.uploaded_at.isoformat(),
        "uploaded_by": batch.uploaded_by,
        "file_name": batch.file_name,
        "sha256": batch.sha256,
        "n_observations": batch.n_observations,
        "n_superseded": batch.n_superseded,
        "n_unchanged": batch.n_unchanged,
        "n_warnings": batch.n_warnings,
        "withdraws": batch.withdraws,
        "withdrawn_by": batch.withdrawn_by,
        "reason": batch.reason,
    }


def _withdraw_options(func: F) -> F:
    func = click.option("--reason", default=None, help="Why, kept with the withdrawal.")(func)
    func = click.option(
        "--as",
        "user",
        default=None,
        help="Who is withdrawing, as recorded with the login name (default: the login name); never a permission.",
    )(func)
    return click.argument("batch_id", metavar="ID", type=int)(func)


@batches.command("withdraw")
@_withdraw_options
@_user_errors
def batches_withdraw(batch_id: int, user: str | None, reason: str | None) -> None:
    """Withdraw an upload: its values stop being current and the values they replaced are current again.

    The withdrawal is itself a batch (see qtm batches); nothing is deleted, and the file can be ingested again.
    Recorded in the audit trail as by the login name, or "NAME (login)" with --as NAME (never a permission).
    Exit 1, changing nothing, for an unknown batch, a withdrawal, or a batch already withdrawn.
    """
    _withdraw(batch_id, user, reason)


@main.command("withdraw")
@_withdraw_options
@_user_errors
def withdraw(batch_id: int, user: str | None, reason: str | None) -> None:
    """Withdraw an upload (the same as qtm batches withdraw ID)."""
    _withdraw(batch_id, user, reason)


def _withdraw(batch_id: int, user: str | None, reason: str | None) -> None:
    store = _open_store(config.current().database_url)
    result = store.withdraw_batch(batch_id, withdrawn_by=_actor(user), reason=reason)
    withdrawn = store.batch(batch_id)
    name = printable(withdrawn.file_name) if withdrawn is not None else "?"
    click.echo(
        f"批次 {batch_id}（{name}）已撤回，撤回记录为批次 {result.withdrawal_batch_id}：撤下 {result.n_withdrawn} 个数值，"
        f"恢复 {result.n_restored} 个先前数值\n"
        f"batch {batch_id} ({name}) withdrawn by batch {result.withdrawal_batch_id}: {result.n_withdrawn} values "
        f"withdrawn, {result.n_restored} earlier values current again"
    )


# ---- accounts and the audit trail ----------------------------------------------------------------------------

_AS_HELP = "Who is doing this, recorded with the login name in the audit trail; never a permission."


@main.group()
def users() -> None:
    """Accounts of the dashboard: viewers, reporters (for their regions and those under them) and admins.

    Whoever runs qtm on this machine owns the database and may manage accounts: --as is recorded in the audit
    trail as "NAME (login)", never checked. Passwords are read from standard input (--password-stdin), never from
    an argument, and never printed.
    """


def _password(from_stdin: bool) -> str:
    """The password: one line of standard input (its line end dropped, nothing else), or asked for twice, hidden,
    on a terminal."""
    if not from_stdin:
        raise click.UsageError(
            "give the password on standard input with --password-stdin (never as an argument, which others can see)"
        )
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))
    return sys.stdin.readline().rstrip("\r\n")


def _user_line(user: User) -> str:
    regions = f" for {', '.join(sorted(user.regions))}" if user.regions else ""
    return printable(f"{user.name}: {user.role}{regions}" + ("" if user.active else " (disabled)"))


_ROLE = click.Choice(["viewer", "reporter", "admin"])
_REGION_HELP = "A region a reporter reports for, with those under it (a code or name; repeatable)."


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=_ROLE, help="viewer, reporter or admin.")
@click.option("--region", "regions", multiple=True, help=_REGION_HELP)
@click.option(
    "--password-stdin", "password_stdin", is_flag=True, help="Read the password from standard input."
)
@click.option("--as", "operator", default=None, help=_AS_HELP)
@_user_errors
def users_add(
    name: str, role: str, regions: tuple[str, ...], password_stdin: bool, operator: str | None
) -> None:
    """Add an account. A reporter needs at least one --region; the password (at least 12 characters) comes on
    standard input. Exit 1 for a name already taken, an unknown region or a short password."""
    from qtm.accounts import Users

    password = _password(password_stdin)
    settings = config.current()
    accounts = Users(_open_store(settings.database_url), _regions(settings))
    user = accounts.add(name, role, regions, password, actor=_actor(operator))  # type: ignore[arg-type]
    click.echo(f"added {_user_line(user)}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@_user_errors
def users_list(as_json: bool) -> None:
    """Every account: name, role, regions, whether active. Never a password or its hash."""
    from qtm.accounts import Users

    found = Users(_open_store(config.current().database_url)).list()
    if as_json:
        _echo_json(
            [
                {"name": u.name, "role": u.role, "regions": sorted(u.regions), "active": u.active}
                for u in found
            ]
        )
        return
    if not found:
        click.echo("没有账户 / no accounts yet (qtm users add NAME --role admin --password-stdin)")
        return
    names = {u.name: printable(u.name) for u in found}
    width = max(_width(shown) for shown in names.values())
    for u in found:
        state = "active" if u.active else "disabled"
        regions = printable(" ".join(sorted(u.regions)))
        click.echo(f"{_pad(names[u.name], width)}  {printable(u.role):8}  {state:8}  {regions}".rstrip())


@users.command("disable")
@click.argument("name")
@click.option("--as", "operator", default=None, help=_AS_HELP)
@_user_errors
def users_disable(name: str, operator: str | None) -> None:
    """Disable an account: it can no longer log in. Nothing is deleted; qtm users enable undoes it.
    Exit 1 for an unknown user or the last active admin."""
    from qtm.accounts import Users

    user = Users(_open_store(config.current().database_url)).disable(name, actor=_actor(operator))
    click.echo(f"disabled {_user_line(user)}")


@users.command("enable")
@click.argument("name")
@click.option("--as", "operator", default=None, help=_AS_HELP)
@_user_errors
def users_enable(name: str, operator: str | None) -> None:
    """Enable a disabled account again."""
    from qtm.accounts import Users

    user = Users(_open_store(config.current().database_url)).enable(name, actor=_actor(operator))
    click.echo(f"enabled {_user_line(user)}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=_ROLE)
@click.option("--region", "regions", multiple=True, help=_REGION_HELP)
@click.option("--as", "operator", default=None, help=_AS_HELP)
@_user_errors
def users_set_role(name: str, role: str, regions: tuple[str, ...], operator: str | None) -> None:
    """Give an account another role; for a reporter, the regions it reports for (replacing the old ones)."""
    from qtm.accounts import Users

    settings = config.current()
    accounts = Users(_open_store(settings.database_url), _regions(settings))
    user = accounts.set_role(name, role, regions, actor=_actor(operator))  # type: ignore[arg-type]
    click.echo(f"now {_user_line(user)}")


@users.command("set-password")
@click.argument("name")
@click.option(
    "--password-stdin", "password_stdin", is_flag=True, help="Read the password from standard input."
)
@click.option("--as", "operator", default=None, help=_AS_HELP)
@_user_errors
def users_set_password(name: str, password_stdin: bool, operator: str | None) -> None:
    """Give an account a new password (at least 12 characters), read from standard input."""
    from qtm.accounts import Users

    password = _password(password_stdin)
    user = Users(_open_store(config.current().database_url)).set_password(
        name, password, actor=_actor(operator)
    )
    click.echo(f"password changed for {printable(user.name)}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Only the newest N entries.")
@_user_errors
def audit(as_json: bool, limit: int | None) -> None:
    """The audit trail, newest first: every upload, withdrawal and change to an account (and failed logins),
    with who, when, the batch, the address it came from (over the web) and what was done."""
    from qtm.formatting import audit_action, audit_detail, beijing_time

    entries = _open_store(config.current().database_url).audit(limit)
    rows = [e.as_json() for e in entries]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("审计记录为空 / nothing audited yet")
        return
    header = ["时间（北京时间）", "操作 action", "用户 by", "批次 batch", "地址 address", "详情 detail"]
    lines = [
        [
            beijing_time(e.at, seconds=True, labelled=False),
            f"{audit_action(e.action)} {printable(e.action)}",
            printable(e.user),
            str(e.batch) if e.batch is not None else "-",
            printable(e.address or "-"),
            printable(audit_detail(e.action, e.detail)),
        ]
        for e in entries
    ]
    widths = [max(_width(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    for line in [header, *lines]:
        click.echo("  ".join([*(_pad(c, w) for c, w in zip(line, widths, strict=False)), line[-1]]).rstrip())


@main.command()
@click.option("--plan", default=None, help="Only this plan's targets (a plan id; see qtm targets --json).")
@click.option(
    "--region", "regions", multiple=True, help="Region code or name (repeatable); default: each target's own."
)
@click.option("--period", "periods", multiple=True, help="Period (repeatable): 2024, 2024Q1 or 2024-05.")
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="The .xlsx file to write."
)
@_user_errors
def template(plan: str | None, regions: tuple[str, ...], periods: tuple[str, ...], output: Path) -> None:
    """Write a fill-in return (.xlsx): a row per indicator × region × period, with dropdowns and instructions."""
    from loaders.template import template_rows, write_template
    from qtm.periods import Period

    registry = _registry(config.current())
    if plan is not None and plan not in registry.plans:
        raise click.BadParameter(
            f"unknown plan {plan!r} (known: {', '.join(registry.plans)})", param_hint="--plan"
        )
    codes = []
    for written in regions:
        region = registry.regions.resolve(written)
        if region is None:
            raise click.BadParameter(f"unknown region {written!r}", param_hint="--region")
        codes.append(region.code)
    try:
        parsed = [Period.parse(p) for p in periods]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    rows = template_rows(registry, plan=plan, regions=codes, periods=parsed)
    title = "质量目标监测数据填报表" + (f"（{registry.plans[plan].title.zh}）" if plan else "")
    write_template(registry, rows, output, title)
    click.echo(f"{output}: {len(rows)} rows to fill in")


@main.command()
@click.option("--as-of", "as_of", default=None, help="Judge as on this date (YYYY-MM-DD); default: today.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (see docs/methodology.md).")
@click.option(
    "--by",
    "by",
    type=click.Choice(["plan", "category", "kind", "jurisdiction"]),
    default=None,
    help="Count statuses per group.",
)
@_user_errors
def status(as_of: str | None, as_json: bool, by: str | None) -> None:
    """The status of every target and region: on track, achieved …, or met / missed after the deadline."""
    from qtm.assessment import assess_store

    day = _as_of(as_of)
    settings = config.current()
    registry = _registry(settings)
    results = assess_store(registry, _open_store(settings.database_url), day)
    if by is not None:
        from qtm.progress import counts

        own = [r for r in results if r.region == registry.targets[r.target].jurisdiction]
        if by == "plan":
            labels = {t.id: registry.plans[t.plan].title.zh for t in registry.targets.values()}
            table = counts(own, "target", labels)
        elif by == "category":
            from qtm.formatting import CATEGORY_LABELS

            labels = {i.id: CATEGORY_LABELS[i.category][0] for i in registry.indicators.values()}
            table = counts(own, "indicator", labels)
        elif by == "kind":
            table = counts(own, "indicator", {i.id: i.kind for i in registry.indicators.values()})
        else:
            table = counts(own, "region", {r.code: r.name_zh for r in registry.regions})
        if as_json:
            _echo_json(table)
        else:
            for group, row in table.items():
                click.echo(f"{group}: " + ", ".join(f"{status} {n}" for status, n in sorted(row.items())))
        return
    if as_json:
        _echo_json([r.as_json() for r in results])
        return
    _print_status(registry, results, day)


def _print_status(registry: Registry, results: list[Result], day: dt.date) -> None:
    """For a person: a heading per plan; per target, what it promises by when, with its id for scripts; then a line
    per region: its name, the status in Chinese and English, the latest value with its period, and after the
    deadline, while the deadline's value is awaited, where the data so far were heading."""
    from qtm.formatting import STATUS_LABELS, outlook_text, target_text, value_text

    rows: dict[str, list[tuple[str, str, str, str]]] = {}  # per target: region, status, latest, outlook
    for r in results:
        indicator = registry.indicators[r.indicator]
        zh, en = STATUS_LABELS[r.status]
        latest = (
            f"{value_text(r.latest.value, indicator)} ({r.latest.period})" if r.latest else "无数据 no data"
        )
        ahead = outlook_text(r)
        region = registry.regions.get(r.region).name_zh if r.region in registry.regions else r.region
        rows.setdefault(r.target, []).append((region, f"{zh} {en}", latest, ahead[0] if ahead else ""))
    widths = [max((_width(row[i]) for rs in rows.values() for row in rs), default=0) for i in range(3)]
    click.echo(f"截至 {day.isoformat()} / as of {day.isoformat()}")
    for plan in registry.plans.values():
        chosen = [t for t in registry.targets.values() if t.plan == plan.id and t.id in rows]
        if not chosen:
            continue
        click.echo(f"\n{plan.title.zh}")
        for target in chosen:
            name = registry.indicators[target.indicator].name.zh
            click.echo(
                f"  {name}：{target_text(registry, target)}，期限 {target.deadline.isoformat()}  [{target.id}]"
            )
            for region, status, latest, outlook in rows[target.id]:
                line = f"    {_pad(region, widths[0])}  {_pad(status, widths[1])}  {_pad(latest, widths[2])}  {outlook}"
                click.echo(line.rstrip())


@main.command()
@click.option("--target", "targets", multiple=True, help="A target id (repeatable); default: every target.")
@click.option(
    "--region", "regions", multiple=True, help="A region code (repeatable): every target as it stands there."
)
@click.option("--plan", default=None, help="Only the targets of this plan (see qtm targets).")
@click.option("--as-of", "as_of", default=None, help="Judge as on this date (YYYY-MM-DD); default: today.")
@click.option(
    "--preset", default="slide", show_default=True, type=click.Choice(["slide", "half-a4", "square"])
)
@click.option("--scale", default=2.0, show_default=True, type=click.FloatRange(1, 3))
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["trend", "gauge", "regions"]),
    help="Which charts (repeatable); default: all three.",
)
@click.option("--lang", default="zh", show_default=True, type=click.Choice(["zh", "en"]))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="A folder or a .zip for a pack (PNGs, manifest.csv, report.docx); a .png for one chart.",
)
@_user_errors
def export(
    targets: tuple[str, ...],
    regions: tuple[str, ...],
    plan: str | None,
    as_of: str | None,
    preset: str,
    scale: float,
    kinds: tuple[str, ...],
    lang: str,
    output: Path,
) -> None:
    """Write report-ready PNGs — trends, gauges, region comparisons — with manifest.csv (what each image says) and
    report.docx (each chart with its 进展情况 statement), offline, with the system Chromium."""
    from reports import report_pack

    settings = config.current()
    registry = _registry(settings)
    _known(targets, registry.targets, "--target", "qtm targets")
    _known(regions, (r.code for r in registry.regions), "--region", "qtm regions")
    _known((plan,) if plan else (), registry.plans, "--plan", "qtm targets")
    single = output.suffix.lower() == ".png"
    options = report_pack.PackOptions(
        as_of=_as_of(as_of),
        kinds=tuple(kinds) or (("trend",) if single else report_pack.KINDS),  # type: ignore[arg-type]
        preset=preset,
        scale=scale,
        lang=lang,  # type: ignore[arg-type]
    )
    store = _open_store(settings.database_url)
    _matching(registry, targets, regions)
    chosen = report_pack.select(
        registry, store, as_of=options.as_of, targets=targets, regions=regions, plan=plan
    )
    if not chosen:
        raise QtmError(
            "所选目标、地区与规划没有交集，未导出 / "
            "the targets, regions and plan chosen have nothing in common: nothing exported"
        )
    if single:
        _export_one(registry, store, chosen, options, output)
        return
    pack = report_pack.build(registry, store, chosen, options)
    for path in report_pack.write(pack, output):
        click.echo(str(path))


def _matching(registry: Registry, targets: Iterable[str], regions: Iterable[str]) -> None:
    """Each --target applies to some --region (set for it or for an area above it) and each --region has some
    --target, else one line saying which does not, rather than an empty pack."""
    from qtm.standings import region_targets

    targets, regions = list(targets), list(regions)
    applies = {code: {t.id for t in region_targets(registry, code)} for code in regions}
    for target_id in targets if regions else ():
        if not any(target_id in ids for ids in applies.values()):
            raise QtmError(_not_applying(registry, target_id, regions[0]))
    for code in regions if targets else ():
        if not applies[code] & set(targets):
            raise QtmError(_not_applying(registry, targets[0], code))


def _not_applying(registry: Registry, target_id: str, code: str) -> str:
    set_for = registry.regions.get(registry.targets[target_id].jurisdiction)
    region = registry.regions.get(code)
    return (
        f"目标 {target_id} 是{set_for.name_zh}的目标，不适用于{region.name_zh}（{code}），未导出 / "
        f"target {target_id} is set for {set_for.name_en}, not for {region.name_en} ({code}) or an area above it: "
        "nothing exported"
    )


def _known(given: Iterable[str], known: Iterable[str], hint: str, listing: str) -> None:
    names = set(known)  # once: a generator of names is spent after the first look
    unknown = [g for g in given if g not in names]
    if unknown:
        raise click.BadParameter(f"unknown {hint[2:]} {unknown[0]!r} (see {listing})", param_hint=hint)


def _export_one(registry: Registry, store: Store, chosen: list[Any], options: Any, output: Path) -> None:
    """One chart to one .png: the selection must name exactly one."""
    from reports import report_pack

    images = report_pack.plan_images(registry, store, chosen, options)
    if len(images) != 1:
        raise click.UsageError(
            f"a .png output takes one chart; this selection gives {len(images)} "
            "(name one --target and one --kind, or write to a folder or a .zip)"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(report_pack.render(images, options)[0])
    click.echo(str(output))


@main.command()
@_user_errors
def demo() -> None:
    """Load the demonstration returns in data/demo/ through the ordinary ingest path."""
    from loaders.ingest import ingest_file
    from qtm import PROJECT_ROOT

    settings = config.current()
    registry = _registry(settings)
    store = _open_store(settings.database_url)
    failed = False
    for path in sorted((PROJECT_ROOT / "data" / "demo").glob("*.csv")):
        result = ingest_file(path, registry, store, uploaded_by="qtm demo")
        for issue in result.report.errors:
            click.echo(issue.describe(result.file), err=True)
        failed |= result.status in ("rejected", "unreadable")
        click.echo(f"{path.name}: {result.status}, {len(result.observations)} observations")
    if failed:
        sys.exit(1)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@_user_errors
def db_upgrade() -> None:
    """Apply every pending schema migration."""
    settings = config.current()
    store = _open_store(settings.database_url)
    click.echo(f"{_safe_url(settings.database_url)}: schema at revision {store.schema_revision()}")


@db.command("check")
@click.option(
    "--fix",
    is_flag=True,
    help="Remove orphans at least 30 minutes old that no running commit holds, and rename the originals of "
    "committed batches still under their held name. Never removes a file named for a batch.",
)
@_user_errors
def db_check(fix: bool) -> None:
    """Check the originals of the uploads (QTM_ORIGINALS_DIR) against the batches: batches without their original,
    originals not yet renamed for their batch, orphans (files of commits that never ended) and files named for a
    batch the database does not have. Exit 1 when a batch's original is missing, 0 otherwise."""
    from loaders import originals

    settings = config.current()
    store = _open_store(settings.database_url)
    folder = originals.originals_dir()
    found = originals.check(store, folder)
    if fix:
        swept = originals.sweep(store, found)
        for path in swept.removed:
            click.echo(f"已删除孤立文件 removed orphan: {printable(path.name)}")
        for held, marked in swept.marked:
            click.echo(f"已改名 renamed: {printable(held.name)} -> {printable(marked.name)}")
        found = originals.check(store, folder)
    for line in _inventory_lines(found):
        click.echo(line)
    if found.missing:
        sys.exit(1)


def _inventory_lines(found: Inventory) -> list[str]:
    """What ``qtm db check`` prints: one line for the folder, then one per finding."""
    from loaders.originals import ORPHAN_AGE

    limit = int(ORPHAN_AGE.total_seconds() // 60)
    lines = [f"{printable(found.folder)}: {found.uploads} 个上传批次 uploads"]
    for batch_id in found.missing:
        lines.append(f"缺少原始文件 missing: batch {batch_id} has no original in the folder")
    for batch_id, path in found.unmarked:
        lines.append(
            f"未改名 not renamed: {printable(path.name)} is the original of batch {batch_id} "
            "(qtm db check --fix renames it)"
        )
    for path in found.orphans:
        try:
            minutes = int((time.time() - path.stat().st_mtime) // 60)
        except OSError:
            continue  # gone meanwhile
        lines.append(
            f"孤立文件 orphan: {printable(path.name)}, {minutes} min old, no batch names it (a commit that never "
            f"ended); qtm db check --fix removes it once {limit} min old"
        )
    for path in found.strays:
        lines.append(
            f"无对应批次 no batch: {printable(path.name)} is named for a batch the database does not have "
            "(kept, never removed: a database restored from an older backup?)"
        )
    if not found.missing:
        lines.append("每个上传批次都有原始文件 every upload has its original")
    return lines


if __name__ == "__main__":
    main()
