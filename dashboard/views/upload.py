"""The upload page as pure functions: the drop zone, the preview of what a return would store (and every problem
with its sheet and cell), the outcome of a commit, and the history of batches."""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.i18n import Lang, t
from dashboard.views.common import data
from loaders.ingest import FileResult
from loaders.values import note_of
from qtm.accounts import User, may, scoped
from qtm.formatting import beijing_time, flags_text, value_text
from qtm.observations import Observation
from qtm.registry import Indicator, Registry
from qtm.store.database import StoredBatch
from qtm.units import SCALE_WORDS

#: Rows of a file's preview shown in full; the rest are counted.
PREVIEW_ROWS = 200

_STATUS_WORDS = {
    "would-commit": ("可以提交", "ready to commit"),
    "committed": ("已提交", "committed"),
    "rejected": ("有错误，不能提交（未存储任何数据）", "has errors, cannot be committed (nothing stored)"),
    "unreadable": ("无法读取（未存储任何数据）", "cannot be read (nothing stored)"),
    "duplicate": (
        "此前已导入同一文件，不会重复存储",
        "the same file was stored before; it is not stored again",
    ),
}


def upload_page(
    registry: Registry, batches: list[StoredBatch], lang: Lang, *, max_mb: float, user: User | None
) -> html.Div:
    """The upload page: how it works, who may upload, the template, the drop zone with its preview and commit,
    and the batches stored."""
    return html.Div(
        [
            html.H1(t(lang, "数据上报", "Upload returns")),
            _how_it_works(lang),
            who_may_upload(registry, user, lang),
            _template_chooser(registry, lang),
            _drop_zone(lang, max_mb),
            *_preview_and_commit(lang),
            html.H2(t(lang, "上报记录", "Batches stored"), className="section"),
            withdraw_dialog(lang),
            html.Div(batch_table(batches, lang, user=user), id="batches"),
        ],
        className="upload-page",
    )


def _how_it_works(lang: Lang) -> html.P:
    return html.P(
        t(
            lang,
            "把报表（.xlsx、.xls 或 .csv）拖到下面，或点击选择；可一次多份。提交前会先列出将要存储的每个数值和每个问题（含工作表和单元格）。有错误的文件不会存储任何数据。",
            "Drop returns (.xlsx, .xls or .csv) below, or click to choose; several at once. Before anything "
            "is stored you see every value it would store and every problem, with its sheet and cell. A file "
            "with an error stores nothing.",
        ),
        className="summary",
    )


def _template_chooser(registry: Registry, lang: Lang) -> html.Div:
    """A plan to choose, and the link to its fill-in template."""
    plans = [{"label": t(lang, p.title.zh, p.title.en), "value": p.id} for p in registry.plans.values()]
    return html.Div(
        [
            html.Label(
                [
                    html.Span(t(lang, "填报模板", "Fill-in template")),
                    dcc.Dropdown(
                        id="template-plan",
                        options=plans,
                        placeholder=t(lang, "全部规划", "All plans"),
                        searchable=False,
                    ),
                ],
                className="filter",
            ),
            html.A(
                t(lang, "下载模板 (.xlsx)", "Download the template (.xlsx)"),
                href="/template.xlsx",
                id="template-link",
                className="button",
            ),
        ],
        className="filter-bar",
    )


def _drop_zone(lang: Lang, max_mb: float) -> dcc.Upload:
    """Where returns are dropped (or chosen), up to ``max_mb`` each."""
    return dcc.Upload(
        id="upload",
        multiple=True,
        max_size=int(max_mb * 1024 * 1024),
        accept=".xlsx,.xlsm,.xls,.csv",
        children=html.Div(
            [
                html.Strong(t(lang, "拖放报表到此处", "Drop returns here")),
                html.Span(
                    t(
                        lang,
                        f" 或点击选择文件（每份不超过 {max_mb:g} MB）",
                        f" or click to choose (up to {max_mb:g} MB each)",
                    )
                ),
            ]
        ),
        className="drop-zone",
    )


def _preview_and_commit(lang: Lang) -> list[Component]:
    """The preview of the dropped files, the commit button, their progress notes and what the page keeps."""
    return [
        busy_note("upload-busy", t(lang, "正在检查报表…", "Checking the returns…"), lang),
        dcc.Loading(html.Div(id="preview"), type="dot"),
        html.Button(
            t(lang, "提交存储", "Commit"),
            id="commit",
            disabled=True,
            className="button primary",
            **data(action="commit"),
        ),
        busy_note("commit-busy", t(lang, "正在存储…", "Storing…"), lang),
        dcc.Loading(html.Div(id="commit-result"), type="dot"),
        dcc.Store(id="staged", data=[]),
        dcc.Store(id="committed"),
    ]


def busy_note(note_id: str, doing: str, lang: Lang) -> html.Div:
    """Shown while a background job works on the page's request (hidden otherwise)."""
    return html.Div(
        [doing, t(lang, "（在后台进行，页面可继续使用）", " (in the background: the page stays usable)")],
        id=note_id,
        hidden=True,
        className="busy",
        role="status",
    )


def forbidden_view(zh: str, en: str, lang: Lang) -> html.Div:
    return html.Div(t(lang, zh, en), className="banner forbidden refused-upload")


def who_may_upload(registry: Registry, user: User | None, lang: Lang) -> html.Div:
    """Who is uploading, for which regions — or why this account cannot."""
    if user is None:
        return html.Div(
            [
                t(lang, "上报需要登录上报员或管理员账户。", "Uploading needs a reporter or admin account. "),
                html.A(t(lang, "登录", "Log in"), href="/login?next=/upload"),
            ],
            className="banner forbidden",
            id="who",
        )
    if scoped(user, "upload"):
        names = [
            t(lang, registry.regions.get(c).name_zh, registry.regions.get(c).name_en)
            for c in sorted(user.regions)
        ]
        scope = "、".join(names) + t(lang, "及其下辖地区", " and the regions under them")
    elif may(user, "upload"):
        scope = t(lang, "全部地区（管理员）", "every region (admin)")
    else:
        return html.Div(
            t(
                lang,
                f"{user.name}：查看账户，不能上报。",
                f"{user.name}: a viewer account, which cannot upload.",
            ),
            className="banner forbidden",
            id="who",
        )
    return html.Div(
        t(lang, f"{user.name} 可上报：{scope}", f"{user.name} may report for: {scope}"),
        className="who",
        id="who",
    )


def refused_view(name: str, zh: str, en: str, lang: Lang) -> html.Div:
    return html.Div(
        [html.H3(name), html.P(t(lang, zh, en), className="status-line rejected")],
        className="file-preview rejected",
        **data(file=name, status="rejected"),
    )


#: The current stored value of each indicator, region and period (period as text), to compare a preview with.
CurrentValues = dict[tuple[str, str, str], Observation]


def preview_view(
    registry: Registry, result: FileResult, lang: Lang, current: CurrentValues | None = None
) -> html.Div:
    """One file: its status, every problem (sheet and cell), and the values it would store — each beside what is
    stored now (new, replaces old → new, or unchanged)."""
    words = _STATUS_WORDS.get(result.status, (result.status, result.status))
    parts: list[Component] = [
        html.H3(result.file),
        html.P(
            t(lang, *words)
            + t(
                lang,
                f" · {len(result.observations)} 个数值，{len(result.report.errors)} 个错误，{len(result.report.warnings)} 个提醒",
                f" · {_count(len(result.observations), 'value')}, {_count(len(result.report.errors), 'error')}, "
                f"{_count(len(result.report.warnings), 'warning')}",
            ),
            className=f"status-line {result.status}",
        ),
    ]
    if result.report.issues:
        parts.append(_issues_table(result, lang))
    if result.observations and result.status != "unreadable":
        parts.append(_observations_table(registry, result, lang, current or {}))
    return html.Div(
        parts,
        className=f"file-preview {result.status}",
        **data(file=result.file, status=result.status),
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _issues_table(result: FileResult, lang: Lang) -> html.Table:
    head = [
        ("级别", "Severity"),
        ("工作表", "Sheet"),
        ("单元格", "Cell"),
        ("问题", "Problem"),
        ("代码", "Code"),
    ]
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(lang, *h)) for h in head])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(
                                t(lang, "错误", "error")
                                if i.severity == "error"
                                else t(lang, "提醒", "warning")
                            ),
                            html.Td(i.sheet or "—"),
                            html.Td(i.cell or "—", className="cell"),
                            html.Td(t(lang, i.message_zh, i.message_en)),
                            html.Td(i.code, className="code"),
                        ],
                        className=f"issue {i.severity}",
                        **data(issue_code=i.code, cell=i.cell or "", sheet=i.sheet or ""),
                    )
                    for i in result.report.issues
                ]
            ),
        ],
        className="targets issues",
    )


def _flags_text(flags: frozenset[str], lang: Lang) -> str:
    return flags_text(flags, lang)


def change_cell(o: Observation, indicator: Indicator, current: CurrentValues, lang: Lang) -> html.Td:
    """Whether storing ``o`` adds a value (新增), replaces the stored one (替换：old → new) or changes nothing."""
    stored = current.get((o.indicator, o.region, o.period.text))
    if stored is None:
        return html.Td(t(lang, "新增", "new"), className="change new", **data(change="new"))
    if stored.value == o.value and stored.flags == o.flags:
        return html.Td(t(lang, "不变", "unchanged"), className="change unchanged", **data(change="unchanged"))
    old = value_text(stored.value, indicator, lang)
    new = value_text(o.value, indicator, lang)
    if stored.value == o.value:  # the flags alone change
        old += f"（{_flags_text(stored.flags, lang) or t(lang, '无标记', 'no flags')}）"
        new += f"（{_flags_text(o.flags, lang) or t(lang, '无标记', 'no flags')}）"
    return html.Td(
        t(lang, f"替换：{old} → {new}", f"replaces: {old} → {new}"),
        className="change replaces",
        **data(change="replaces"),
    )


def _observations_table(
    registry: Registry, result: FileResult, lang: Lang, current: CurrentValues
) -> html.Div:
    head = [
        ("指标", "Indicator"),
        ("地区", "Region"),
        ("统计期", "Period"),
        ("数值", "Value"),
        ("标记", "Flags"),
        ("与已存数据相比", "Against what is stored"),
    ]
    shown = result.observations[:PREVIEW_ROWS]
    rows = []
    for o in shown:
        indicator = registry.indicators[o.indicator]
        region = registry.regions.get(o.region)
        rows.append(
            html.Tr(
                [
                    html.Td(t(lang, indicator.name.zh, indicator.name.en)),
                    html.Td(t(lang, region.name_zh, region.name_en)),
                    html.Td(o.period.text),
                    _value_cell(o, indicator, lang),
                    html.Td(_flags_text(o.flags, lang)),
                    change_cell(o, indicator, current, lang),
                ],
                **data(observation=f"{o.indicator}|{o.region}|{o.period.text}|{o.value:g}"),
            )
        )
    more = len(result.observations) - len(shown)
    return html.Div(
        [
            html.Table(
                [html.Thead(html.Tr([html.Th(t(lang, *h)) for h in head])), html.Tbody(rows)],
                className="targets observations",
            ),
            *(
                [
                    html.P(
                        t(lang, f"另有 {more} 个数值未列出", f"{more} more values not listed"),
                        className="explain",
                    )
                ]
                if more > 0
                else []
            ),
        ]
    )


def _scale_written(o: Observation, lang: Lang) -> list[html.Span]:
    """What the cell said, beside a value whose unit carries a scale word (0.9万家 is stored as 9,000 家)."""
    if not o.unit_as_written.startswith(tuple(SCALE_WORDS)):
        return []
    written = o.value_as_written
    written = written if written.endswith(o.unit_as_written) else f"{written} {o.unit_as_written}"
    shown = t(lang, f"（原文 {written}）", f" (written {written})")
    return [html.Span(shown, className="value-scale explain")]


def _value_cell(o: Observation, indicator: Indicator, lang: Lang) -> html.Td:
    """The value read, and the note written beside it in the cell ('97.8①' is 97.8, with the note ①)."""
    note = note_of(o.value_as_written)
    if note is None:
        return html.Td([value_text(o.value, indicator, lang), *_scale_written(o, lang)], className="num")
    return html.Td(
        [
            value_text(o.value, indicator, lang),
            html.Span(t(lang, f"（注记“{note}”）", f" (note {note!r})"), className="value-note explain"),
        ],
        className="num",
        title=t(lang, f"原文：{o.value_as_written}", f"as written: {o.value_as_written}"),
        **data(note=note),
    )


def commit_view(results: list[FileResult], lang: Lang, *, gone: int = 0) -> html.Div:
    """What a commit stored: each file's batch, or why it stored nothing — a file whose values were all stored
    already (by another official's commit of the same file, say) names the batch that holds them. ``gone``: staged
    files no longer there to commit (committed or swept meanwhile, or not staged by this user on this page)."""
    lines = [
        html.Li(_committed_text(r, lang), className=r.status, **data(status=r.status, batch=r.batch_id or ""))
        for r in results
    ]
    if gone:
        lines.append(
            html.Li(
                t(
                    lang,
                    f"{gone} 个文件已不在暂存区（已提交、已过期，或不是本页面上传的），未存储；请重新上传",
                    f"{_count(gone, 'file')} no longer staged (committed, expired, or not uploaded on this page): "
                    "nothing stored; upload again",
                ),
                className="gone",
                **data(status="gone"),
            )
        )
    return html.Div(html.Ul(lines), className="commit-result")


def _committed_text(r: FileResult, lang: Lang) -> str:
    if r.status == "committed":
        return t(
            lang,
            f"{r.file}：已存储为批次 {r.batch_id}，{len(r.observations)} 个数值",
            f"{r.file}: stored as batch {r.batch_id}, {_count(len(r.observations), 'value')}",
        )
    if r.status == "duplicate" and r.batch_id is not None:
        return t(
            lang,
            f"{r.file}：已存储为批次 {r.batch_id}（同一文件此前已提交，各数值未变），本次未重复存储",
            f"{r.file}: already stored as batch {r.batch_id} (the same file was committed before and every value "
            "is unchanged); not stored again",
        )
    return f"{r.file}: " + t(lang, *_STATUS_WORDS.get(r.status, (r.status, r.status)))


def batch_state(b: StoredBatch, lang: Lang) -> str:
    """A batch's status in words: stored, withdrawn (by which batch), or a withdrawal (of which batch, and why)."""
    if b.kind == "withdrawal":
        why = b.reason
        return t(lang, f"撤回记录（撤回批次 {b.withdraws}）", f"withdrawal (of batch {b.withdraws})") + (
            t(lang, f"：{why}", f": {why}") if why else ""
        )
    if b.withdrawn_by is not None:
        return t(lang, f"已撤回（由批次 {b.withdrawn_by}）", f"withdrawn (by batch {b.withdrawn_by})")
    return t(lang, "已存储", "stored")


def batch_table(batches: list[StoredBatch], lang: Lang, *, user: User | None) -> html.Table | html.P:
    can_withdraw = may(user, "withdraw")
    if not batches:
        return html.P(t(lang, "尚无上报记录。", "Nothing stored yet."), className="empty")
    head = [
        ("批次", "Batch"),
        ("时间（北京时间）", "When (Beijing time)"),
        ("填报人", "By"),
        ("文件", "File"),
        ("新存", "Stored"),
        ("取代", "Superseded"),
        ("未变", "Unchanged"),
        ("状态", "State"),
        *([("操作", "Action")] if can_withdraw else []),
    ]
    rows = []
    for b in sorted(batches, key=lambda b: b.id, reverse=True)[:100]:
        action: list[Component] = []
        if can_withdraw:
            standing = b.kind == "upload" and b.withdrawn_by is None
            action = [html.Td(_withdraw_button(b.id, lang) if standing else "")]
        rows.append(
            html.Tr(
                [
                    html.Td(str(b.id)),
                    html.Td(beijing_time(b.uploaded_at, lang, labelled=False)),
                    html.Td(b.uploaded_by),
                    html.Td(
                        b.file_name
                        if b.kind == "upload"
                        else t(lang, f"撤回批次 {b.withdraws}", f"withdrawal of batch {b.withdraws}")
                    ),
                    html.Td(str(b.n_observations), className="num"),
                    html.Td(str(b.n_superseded), className="num"),
                    html.Td(str(b.n_unchanged), className="num"),
                    html.Td(batch_state(b, lang), className="batch-state"),
                    *action,
                ],
                **data(batch=str(b.id)),
            )
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th(t(lang, *h)) for h in head])), html.Tbody(rows)],
        className="targets batches",
    )


def _withdraw_button(batch_id: int, lang: Lang) -> html.Button:
    return html.Button(
        t(lang, "撤回…", "Withdraw…"),
        id={"type": "withdraw", "batch": batch_id},
        className="button small",
        **data(action="withdraw"),
    )


def withdraw_dialog(lang: Lang) -> html.Div:
    """The confirmation a withdrawal needs (hidden until a batch's 撤回 is pressed): what falls back, and a reason."""
    return html.Div(
        [
            html.Div(id="withdraw-summary"),
            html.Label(
                [
                    html.Span(t(lang, "撤回原因（必填）", "Reason for withdrawing (required)")),
                    dcc.Textarea(id="withdraw-reason", value="", className="reason", maxLength=500),
                ],
                className="filter",
            ),
            html.P(id="withdraw-message", className="status-line rejected", role="alert"),
            html.Button(
                t(lang, "确认撤回", "Withdraw the batch"),
                id="withdraw-confirm",
                className="button primary",
                **data(action="withdraw-confirm"),
            ),
            html.Button(
                t(lang, "取消", "Cancel"),
                id="withdraw-cancel",
                className="button",
                **data(action="withdraw-cancel"),
            ),
            dcc.Store(id="withdraw-batch"),
        ],
        id="withdraw-dialog",
        className="withdraw-dialog banner",
        role="dialog",
        hidden=True,
    )


def _stored_text(o: Observation, indicator: Indicator | None, lang: Lang) -> str:
    return value_text(o.value, indicator, lang) if indicator is not None else f"{o.value:g}"


def withdraw_summary(
    registry: Registry, batch: StoredBatch, fallback: list[tuple[Observation, Observation | None]], lang: Lang
) -> html.Div:
    """What withdrawing ``batch`` does: each of its current values and the value that becomes current (or 无)."""
    head = [
        ("指标", "Indicator"),
        ("地区", "Region"),
        ("统计期", "Period"),
        ("现值", "Now"),
        ("撤回后", "After"),
    ]
    rows = []
    for now, after in fallback[:PREVIEW_ROWS]:
        indicator = registry.indicators.get(now.indicator)
        region = registry.regions.get(now.region)
        rows.append(
            html.Tr(
                [
                    html.Td(t(lang, indicator.name.zh, indicator.name.en) if indicator else now.indicator),
                    html.Td(t(lang, region.name_zh, region.name_en)),
                    html.Td(now.period.text),
                    html.Td(_stored_text(now, indicator, lang), className="num"),
                    html.Td(
                        _stored_text(after, indicator, lang) if after else t(lang, "无", "none"),
                        className="num fallback",
                    ),
                ],
                **data(fallback=f"{now.indicator}|{now.region}|{now.period.text}"),
            )
        )
    table = html.Table(
        [html.Thead(html.Tr([html.Th(t(lang, *h)) for h in head])), html.Tbody(rows)],
        className="targets fallback",
    )
    return html.Div(
        [
            html.H3(
                t(
                    lang,
                    f"撤回批次 {batch.id}（{batch.file_name}）？",
                    f"Withdraw batch {batch.id} ({batch.file_name})?",
                )
            ),
            html.P(
                t(
                    lang,
                    f"该批次现有 {len(fallback)} 个数值有效；撤回后各数值恢复为下表“撤回后”一列（“无”表示不再有数值）。",
                    f"{_count(len(fallback), 'value')} of this batch are current; after the withdrawal each is "
                    "the value in the column After (none: no value).",
                )
            ),
            table,
        ]
    )
