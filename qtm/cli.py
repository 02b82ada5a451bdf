"""The ``qtm`` command: the one entry point for people and scripts.

This module is the composition root: it reads settings, loads the registry, opens the store and hands them to
the loaders and the dashboard. Errors meant for the user print as one line, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
import unicodedata
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qtm.config import Settings
from qtm.errors import QtmError
from qtm.regions import Regions, load_regions
from qtm.registry import Registry, load_registry
from qtm.store import Store, StoredBatch

if TYPE_CHECKING:
    from qtm.progress import Result

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Print a :class:`QtmError` as one line on stderr and exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QtmError as exc:
            click.echo(f"qtm: error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _registry(settings: Settings, path: Path | None = None) -> Registry:
    return load_registry(path or settings.registry_file, _regions(settings))


def _regions(settings: Settings) -> Regions:
    return load_regions(settings.regions_file)


def _as_of(text: str | None) -> dt.date:
    """The --as-of date (YYYY-MM-DD), today when not given."""
    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


@click.group()
@click.version_option(package_name="quality-target-monitor")
def main() -> None:
    """qtm — the quality-target monitor (质量目标监测)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash debug mode (reloader and dev tools).")
@_user_errors
def serve(host: str, port: int, debug: bool) -> None:
    """Start the dashboard."""
    from dashboard.app import create_app

    settings = Settings.from_env()
    registry = _registry(settings)
    store = Store.open(settings.database_url)
    app = create_app(registry, store)
    click.echo(f"qtm: serving http://{host}:{port}/ (database {_safe_url(settings.database_url)})", err=True)
    app.run(host=host, port=port, debug=debug)  # a taken port or a foreign address: werkzeug says so, exit 1


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
    registry = _registry(Settings.from_env())
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
    settings = Settings.from_env()
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
    known = _regions(Settings.from_env())
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
@click.option("--as", "user", default=None, help="Who is uploading (default: the login name).")
@_user_errors
def ingest(files: tuple[Path, ...], dry_run: bool, as_json: bool, user: str | None) -> None:
    """Read returns (Excel or CSV), check them and store each accepted file as one batch.

    Exit 0: every file accepted; 1: a file rejected for its content (nothing from it stored);
    2: a file that cannot be read at all.
    """
    from loaders.ingest import ingest_file

    settings = Settings.from_env()
    registry = _registry(settings)
    store = Store.open(settings.database_url)
    results = [
        ingest_file(path, registry, store, uploaded_by=user or _login(), dry_run=dry_run) for path in files
    ]
    if as_json:
        _echo_json({"files": [r.as_json(registry) for r in results]})
    else:
        for result in results:
            for issue in result.report.issues:
                click.echo(issue.describe(result.file), err=True)
            click.echo(
                f"{result.file}: {result.status}, {len(result.observations)} observations, "
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


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (the shape of qtm ingest --json).")
@click.option("--indicator", default=None, help="Indicator id or name.")
@click.option("--region", default=None, help="Region code or name.")
@_user_errors
def data(as_json: bool, indicator: str | None, region: str | None) -> None:
    """Print the current stored observations."""
    settings = Settings.from_env()
    registry = _registry(settings)
    indicator_id = region_code = None
    if indicator is not None:
        found = registry.resolve_indicator(indicator)
        if found is None:
            raise click.BadParameter(f"unknown indicator {indicator!r}", param_hint="--indicator")
        indicator_id = found.id
    if region is not None:
        place = registry.regions.resolve(region)
        if place is None:
            raise click.BadParameter(f"unknown region {region!r}", param_hint="--region")
        region_code = place.code
    store = Store.open(settings.database_url)
    rows = store.current(indicator=indicator_id, region=region_code)
    if as_json:
        _echo_json({"observations": [o.as_json(registry.indicators[o.indicator].unit) for o in rows]})
        return
    for o in rows:
        unit = registry.indicators[o.indicator].unit
        flags = f" [{','.join(sorted(o.flags))}]" if o.flags else ""
        click.echo(f"{o.indicator:45} {o.region} {o.period!s:8} {o.value:>12g} {unit}{flags}")


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
@click.pass_context
@_user_errors
def batches(ctx: click.Context, as_json: bool) -> None:
    """List the stored batches, oldest first: uploads and withdrawals, who made them and when, and what they did."""
    if ctx.invoked_subcommand is not None:
        return
    stored = Store.open(Settings.from_env().database_url).batches()
    if as_json:
        _echo_json({"batches": [_batch_json(b) for b in stored]})
        return
    if not stored:
        click.echo("没有批次 / no batches stored yet")
        return
    counts = ("stored", "superseded", "unchanged", "warnings")
    header = ["id", "kind", "when (UTC)", "by", *counts, "file"]
    rows = [
        [
            str(b.id),
            b.kind,
            f"{b.uploaded_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}",
            b.uploaded_by,
            str(b.n_observations),
            str(b.n_superseded),
            str(b.n_unchanged),
            str(b.n_warnings),
            b.file_name + _batch_note(b),
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
        note = f"  — {batch.n_superseded} values withdrawn, {restored} earlier values current again"
        return note + (f"; reason: {batch.reason}" if batch.reason else "")
    return ""


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


@batches.command("withdraw")
@click.argument("batch_id", metavar="ID", type=int)
@click.option("--as", "user", default=None, help="Who is withdrawing (default: the login name).")
@click.option("--reason", default=None, help="Why, kept with the withdrawal.")
@_user_errors
def batches_withdraw(batch_id: int, user: str | None, reason: str | None) -> None:
    """Withdraw an upload: its values stop being current and the values they replaced are current again.

    The withdrawal is itself a batch (see qtm batches); nothing is deleted, and the file can be ingested again.
    Exit 1, changing nothing, for an unknown batch, a withdrawal, or a batch already withdrawn.
    """
    store = Store.open(Settings.from_env().database_url)
    result = store.withdraw_batch(batch_id, withdrawn_by=user or _login(), reason=reason)
    withdrawn = store.batch(batch_id)
    name = withdrawn.file_name if withdrawn is not None else "?"
    click.echo(
        f"批次 {batch_id}（{name}）已撤回，撤回记录为批次 {result.withdrawal_batch_id}：撤下 {result.n_withdrawn} 个数值，"
        f"恢复 {result.n_restored} 个先前数值\n"
        f"batch {batch_id} ({name}) withdrawn by batch {result.withdrawal_batch_id}: {result.n_withdrawn} values "
        f"withdrawn, {result.n_restored} earlier values current again"
    )


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

    registry = _registry(Settings.from_env())
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
    settings = Settings.from_env()
    registry = _registry(settings)
    results = assess_store(registry, Store.open(settings.database_url), day)
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
@click.option("--as-of", "as_of", default=None, help="Judge as on this date (YYYY-MM-DD); default: today.")
@click.option("--width", default=1000, show_default=True, type=click.IntRange(200, 4000))
@click.option("--height", default=560, show_default=True, type=click.IntRange(200, 4000))
@click.option("--scale", default=2.0, show_default=True, type=click.FloatRange(0.5, 4))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="A .png file for one target, or a folder for several (one <target>.png each).",
)
@_user_errors
def export(
    targets: tuple[str, ...], as_of: str | None, width: int, height: int, scale: float, output: Path
) -> None:
    """Write report-ready PNG charts (trend, target line, projection, status), offline, with the system Chromium."""
    from dashboard.export import exporter
    from dashboard.figures import target_chart
    from qtm.assessment import assess

    settings = Settings.from_env()
    registry = _registry(settings)
    unknown = [t for t in targets if t not in registry.targets]
    if unknown:
        raise click.BadParameter(f"unknown target {unknown[0]!r} (see qtm targets)", param_hint="--target")
    day = _as_of(as_of)
    chosen = [registry.targets[t] for t in targets] or list(registry.targets.values())
    single = len(chosen) == 1 and output.suffix.lower() == ".png"
    if not single:
        output.mkdir(parents=True, exist_ok=True)
    observations = Store.open(settings.database_url).current()
    results = {(r.target, r.region): r for r in assess(registry, observations, day)}
    for target in chosen:
        series = [
            o
            for o in observations
            if o.indicator == target.indicator and o.region == target.jurisdiction and o.period.end <= day
        ]
        figure = target_chart(registry, target, series, results.get((target.id, target.jurisdiction)))
        path = output if single else output / f"{target.id}.png"
        path.write_bytes(exporter.png(figure, width=width, height=height, scale=scale))
        click.echo(str(path))


@main.command()
@_user_errors
def demo() -> None:
    """Load the demonstration returns in data/demo/ through the ordinary ingest path."""
    from loaders.ingest import ingest_file
    from qtm import PROJECT_ROOT

    settings = Settings.from_env()
    registry = _registry(settings)
    store = Store.open(settings.database_url)
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
    settings = Settings.from_env()
    store = Store.open(settings.database_url)
    click.echo(f"{_safe_url(settings.database_url)}: schema at revision {store.schema_revision()}")


if __name__ == "__main__":
    main()
