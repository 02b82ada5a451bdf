"""Problems found in an input, as data: each names its file, sheet and cell, in Chinese and English.

Messages quote what a file says, and a file can say anything: every control character (C0 but tab and newline, DEL,
C1) and every bidirectional override or mark is shown escaped (``\\x1b``, ``\\u202e``), so that a cell holding
``ESC ] 0 ; … BEL`` or a right-to-left override never reaches a terminal or a page raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ON_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with control characters (but tab and newline) and bidirectional controls shown as ``\\x1b`` or
    ``\\u202e``."""
    return _UNSAFE.sub(_escaped, text)


def one_line(text: str) -> str:
    """``text`` for one line of a terminal: :func:`escape_controls`, and newlines escaped too."""
    return _UNSAFE_ON_ONE_LINE.sub(_escaped, text)


@dataclass(frozen=True)
class Issue:
    """One problem. Its messages, sheet and cell are escaped when made (:func:`escape_controls`): whatever reads
    them — a terminal, a page, the JSON stored with a batch — gets no raw control character from a file."""

    severity: Severity
    code: str
    message_zh: str
    message_en: str
    sheet: str | None = None
    cell: str | None = None

    def __post_init__(self) -> None:
        for name in ("message_zh", "message_en", "sheet", "cell"):
            value = getattr(self, name)
            if value is not None:
                safe = escape_controls(str(value))
                if safe != value:
                    object.__setattr__(self, name, safe)

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def as_json(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }

    def describe(self, file: str) -> str:
        """One line for a terminal: ``file[sheet]!C7: error code: message``."""
        where = file + (f"[{self.sheet}]" if self.sheet else "") + (f"!{self.cell}" if self.cell else "")
        return one_line(f"{where}: {self.severity} {self.code}: {self.message}")


#: Issues of one code listed in full; beyond this a report counts them and says how many more there are.
MAX_PER_CODE = 200


@dataclass
class Report:
    """Every issue found in one file, in the order found; the same issue at the same cell is listed once."""

    issues: list[Issue] = field(default_factory=list)
    _seen: set[tuple[str, str, str | None, str | None, str]] = field(default_factory=set, repr=False)
    _per_code: dict[str, int] = field(default_factory=dict, repr=False)
    _has_error: bool = field(default=False, repr=False)

    def add(self, issue: Issue) -> None:
        key = (issue.severity, issue.code, issue.sheet, issue.cell, issue.message_en)
        if key in self._seen:
            return
        self._seen.add(key)
        count = self._per_code.get(issue.code, 0) + 1
        self._per_code[issue.code] = count
        if issue.severity == "error":
            self._has_error = True
        if count <= MAX_PER_CODE:
            self.issues.append(issue)

    def error(self, code: str, zh: str, en: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.add(Issue("error", code, zh, en, sheet, cell))

    def warning(self, code: str, zh: str, en: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.add(Issue("warning", code, zh, en, sheet, cell))

    def close(self) -> None:
        """Put the issues in reading order (sheet by sheet, row by row) and say how many of each code were counted
        but not listed."""
        sheets: dict[str | None, int] = {}
        for issue in self.issues:
            sheets.setdefault(issue.sheet, len(sheets))
        self.issues.sort(key=lambda i: (sheets[i.sheet], *_cell_order(i.cell)))
        for code, count in self._per_code.items():
            if count > MAX_PER_CODE:
                severity = next(i.severity for i in self.issues if i.code == code)
                more = count - MAX_PER_CODE
                self.issues.append(
                    Issue(severity, code, f"另有 {more} 处同类问题未列出", f"{more} more of these not listed")
                )
                self._per_code[code] = MAX_PER_CODE

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self._has_error

    def as_json(self) -> list[dict[str, object]]:
        return [i.as_json() for i in self.issues]


def _cell_order(cell: str | None) -> tuple[int, int]:
    """(row, column) of an A1 reference; issues about the whole file come first."""
    if not cell:
        return (-1, -1)
    letters = cell.rstrip("0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    digits = cell[len(letters) :]
    return (int(digits) if digits.isdigit() else -1, column)


# ---- the catalogue of problem codes ------------------------------------------------------------------------------

Stage = Literal["check", "refused"]  # found while reading the values, or refused before the file is parsed


@dataclass(frozen=True)
class ProblemCode:
    """One code a check of a return can report: its severity, when it is found, and what it means (Chinese and
    English). docs/ingest.md's tables of codes are written from :data:`CATALOGUE` (scripts/write_problem_codes.py)."""

    code: str
    severity: Severity
    stage: Stage
    meaning_zh: str
    meaning_en: str


def _check(code: str, severity: Severity, zh: str, en: str) -> ProblemCode:
    return ProblemCode(code, severity, "check", zh, en)


def _refused(code: str, zh: str, en: str) -> ProblemCode:
    return ProblemCode(code, "error", "refused", zh, en)


_NOWHERE = (
    "数值的指标、地区或统计期在文件中无处注明（无列、表头或上下文）；每张表在其单元格范围（A2:E4）处指出一次",
    "the value's indicator, region or period is written nowhere (no column, header or context); named once per "
    "table, at the table's cell range (A2:E4)",
)
_NOT_READ = (
    "空文件；或 qtm 不读取的文件类型（.txt、.docx、.pdf、无扩展名 …）：此类文件一律作为无法读取拒收，说明其内容是什么"
    "（嗅探：PDF、Word 文档、压缩包 …）以及 qtm 读取的类型（.xlsx、.xlsm、.xls、.csv）",
    "empty; or a file of a type qtm does not read (.txt, .docx, .pdf, no extension …): every such file is refused "
    "alike, as unreadable, naming what its content is (sniffed: PDF, Word document, archive …) and the types qtm "
    "reads (.xlsx, .xlsm, .xls, .csv)",
)
_MISMATCH = (
    "内容与扩展名不符；或 CSV 某行无法读取（字段超过 csv 模块的 128 KB 上限、含 NUL 字节）",
    "the content does not match the extension; or a CSV line cannot be read (a field over the csv module's 128 KB "
    "limit, a NUL byte)",
)

#: Every problem code, in the order docs/ingest.md lists them.
CATALOGUE: tuple[ProblemCode, ...] = (
    _check(
        "unknown_indicator",
        "error",
        "不在指标登记表中（给出最接近的名称）；综合表中无相近名称的行，若文件含已知指标，则为警告（`untracked_indicator`）",
        "not in the registry (the closest names are suggested); a row of a 综合表 with no close name, in a file that has known indicators, is a warning instead (`untracked_indicator`)",
    ),
    _check(
        "unknown_region",
        "error",
        "不在 data/regions.csv 中（给出最接近的名称）；或合计行（全省、合计 …）所指地区不明，或其层级与报表矛盾（列出候选）",
        "not in data/regions.csv (closest names suggested); or a total row (全省, 合计 …) whose area the return leaves unclear, or whose level contradicts it (the candidates are named)",
    ),
    _check("no_indicator", "error", *_NOWHERE),
    _check("no_region", "error", *_NOWHERE),
    _check("no_period", "error", *_NOWHERE),
    _check("bad_period", "error", "无法识别统计期", "the period cannot be read"),
    _check("future_period", "error", "统计期尚未开始", "the period has not started"),
    _check(
        "not_a_number",
        "error",
        "应填数字处为文字（“约93”、“九十八”）",
        'text where a number belongs ("约93", "九十八")',
    ),
    _check(
        "value_not_finite",
        "error",
        "非有限数：单元格中的无穷大或 NaN、“1e999”，或换算后溢出的值（1e308 天换算为小时）",
        'a number that is not finite: infinity or NaN in a cell, "1e999", or a value that overflows once converted (1e308 天 in hours)',
    ),
    _check(
        "cell_error",
        "error",
        "单元格为 Excel 错误值（#DIV/0!、#NUM! —— Excel 对非有限结果的显示 ——、#N/A、#VALUE!、#REF!）；绝不视为空白",
        "the cell holds an Excel error value (#DIV/0!, #NUM! — what Excel shows for a result that is not a finite number —, #N/A, #VALUE!, #REF!); never read as blank",
    ),
    _check(
        "formula_without_value",
        "error",
        "公式没有缓存结果（文件从未在 Excel 中重新计算并保存）",
        "a formula with no cached result (the file was never recalculated and saved in Excel)",
    ),
    _check(
        "unit_mismatch",
        "error",
        "计量单位无法换算为指标的单位",
        "the unit does not convert to the indicator's unit",
    ),
    _check(
        "unit_conflict",
        "error",
        "单元格显示 %，而计量单位列另有所写",
        "the cell shows % and the unit column says otherwise",
    ),
    _check("rate_out_of_range", "error", "比率超出 0–100 %", "a rate outside 0–100 %"),
    _check("negative_value", "error", "数量、时长或指数为负", "a negative count, duration or index"),
    _check(
        "not_a_whole_number",
        "error",
        "数量不是整数（12.5 家）",
        "a count that is not a whole number (12.5 家)",
    ),
    _check(
        "implausible_value",
        "error",
        "该类指标不可能有的值（见上表：二十亿家工厂、两次故障间隔 228 年）",
        "a value its kind cannot have (see the table above: two billion factories, 228 years between failures)",
    ),
    _check(
        "region_out_of_scope",
        "error",
        "上报人无权上报的地区的数值（账户的地区，在上报页面）；整个文件被拒收",
        "a value for a region the uploader may not report for (an account's regions, on the upload page); the whole file is refused",
    ),
    _check(
        "not_stored",
        "error",
        "网页上报未能存储该文件（原件无法保存，或数据库拒绝）：未存储任何内容，并说明原因",
        "the web upload could not store the file (the original could not be kept, or the database refused): nothing stored, the reason given",
    ),
    _check(
        "needs_too_much_memory",
        "error",
        "检查此文件所需内存超过单次检查的上限（`QTM_CHECK_MB`）：未存储；请拆分为较小的文件",
        "the web upload's check needs more memory than one check may use (`QTM_CHECK_MB`): nothing stored; split the file into smaller ones",
    ),
    _check(
        "conflicting_duplicate",
        "error",
        "同一指标、地区和统计期出现两次且数值不同",
        "the same indicator, region and period twice with different values",
    ),
    _check("no_table", "error", "所有工作表中均未找到表格", "no table found in any sheet"),
    _check(
        "no_values",
        "error",
        "找到了表格，但没有可存储的内容：没有登记指标、地区和统计期的数值，或所有数值为空或被跳过（全是 — 和 #DIV/0! 的文件不是空批次）",
        "tables were found, but nothing to store: no value of a registry indicator, region and period, or every value blank or skipped (a file of — and #DIV/0! is not an empty batch)",
    ),
    _check(
        "missing_value", "warning", "空白、—、-、/：无数据；不导入", "blank, —, -, / : no data; not imported"
    ),
    _check(
        "rows_left_blank",
        "warning",
        "部分填写的模板：5 个及以上空白值，在第一个空白处汇总为一行（“78 行未填 / 78 rows left blank”）；不导入",
        'a template filled in part: 5 or more blank values, summed up in one line ("78 行未填 / 78 rows left blank") at the first; not imported',
    ),
    _check(
        "context_columns_skipped",
        "warning",
        "每张表一行，列出既非指标、地区也非统计期的列（抽查批次数、不合格率(%) …）：数值旁的上下文，跳过",
        "one line per table naming its columns that are no indicator, region or period (抽查批次数, 不合格率(%) …): context beside the values, skipped",
    ),
    _check(
        "previous_year_differs",
        "warning",
        "表中的上年实际与该统计期已存储的值不同：不存储；指出单元格和两个值",
        "a form's 上年实际 differs from the value stored for that period: not stored; the cell and both values are named",
    ),
    _check(
        "duplicate_row",
        "warning",
        "同一数值出现两次；忽略重复",
        "the same value twice; the repeat is ignored",
    ),
    _check(
        "value_note",
        "warning",
        "数字旁有脚注标记（“97.8①”）：按数字读取，指出标记；单元格按原样保存",
        'a footnote mark beside a number ("97.8①"): read as the number, the mark named; the cell is kept as written',
    ),
    _check(
        "unknown_flag",
        "warning",
        "无法识别的标记词（标记：初步/provisional、估计/estimated、修订/revised、合成/synthetic）",
        "a flag word not understood (flags: 初步/provisional, 估计/estimated, 修订/revised, 合成/synthetic)",
    ),
    _check("untracked_indicator", "warning", "见 `unknown_indicator`", "see `unknown_indicator`"),
    _check(
        "untracked_region",
        "warning",
        "与区划并列的功能区或本级机关（兰州新区、高新区、省本级）：无 GB/T 2260 代码，跳过",
        "a functional zone or a level's own office listed beside the divisions (兰州新区, 高新区, 省本级): no GB/T 2260 code, skipped",
    ),
    _check(
        "implausible_jump",
        "warning",
        "比率或指数在相邻统计期间变动超过 `QTM_JUMP_POINTS` 个百分点（默认 10），在文件内或与已存储值相比",
        "a rate or index moves more than `QTM_JUMP_POINTS` points (default 10) between consecutive periods, in the file or against the store",
    ),
    _check(
        "cumulative_fell", "warning", "累计值（已建工厂数）下降", "a running total (factories built) falls"
    ),
    _check(
        "rate_looks_like_fraction",
        "warning",
        "单位为 % 而比率不超过 1 %（把 97.8 % 填成了 0.978？）",
        "a rate of at most 1 % where the unit says % (0.978 typed for 97.8 %?)",
    ),
    _check(
        "unusually_large_value",
        "warning",
        "数值比该类指标通常的大（见上表）；已存储",
        "a value larger than its kind usually is (see the table above); stored",
    ),
    _check(
        "duplicate_file",
        "warning",
        "该文件不会改变任何内容：每个数值（含标记）都与当前值相同（同一文件再次上报，或数值相同的另一文件）；未存储",
        "the file would change nothing: every value equals the current one, flags included (the same file again, or another with the same values); nothing stored",
    ),
    _refused(
        "not_a_regular_file",
        "跟随链接后不是普通文件：设备（指向 /dev/zero 的链接）、管道、文件夹；读取前即拒收",
        "not a regular file once links are followed: a device (a link to /dev/zero), a pipe, a folder; refused before anything is read",
    ),
    _refused(
        "file_too_large",
        "超过 `QTM_MAX_UPLOAD_MB`（默认 20 MB）；文件只读一次且绝不超出上限读取（检查、散列、存储和保存的都是这些字节）",
        "over `QTM_MAX_UPLOAD_MB` (default 20 MB); a file is read once and never beyond the limit (what is checked, hashed, stored and kept is those same bytes)",
    ),
    _refused("empty_file", *_NOT_READ),
    _refused("unsupported_type", *_NOT_READ),
    _refused(
        "not_a_spreadsheet",
        "以电子表格名称（.xlsx、.xls、.csv）出现的 PNG、JPEG、PDF、GIF 或压缩包",
        "a PNG, JPEG, PDF, GIF or archive under a spreadsheet's name (.xlsx, .xls, .csv)",
    ),
    _refused("not_a_workbook", *_MISMATCH),
    _refused("not_a_csv", *_MISMATCH),
    _refused(
        "zip_bomb",
        "压缩包解压后超过 400 MB，超过 1 MB 的部件解压后超过压缩大小的 100 倍，或部件超过 10 000 个",
        "the package unpacks to more than 400 MB, more than 100× its packed size in a part over 1 MB, or has over 10 000 parts",
    ),
    _refused(
        "xml_entities",
        "某部件声明了 DOCTYPE 或实体（XML 实体扩展攻击）",
        "a part declares a DOCTYPE or entities (XML entity expansion attacks)",
    ),
    _refused(
        "corrupt_workbook", "压缩包或工作簿被截断或已损坏", "a truncated or corrupt archive or workbook"
    ),
    _refused(
        "sheet_too_large",
        "某工作表的已用区域超过 1000 万个单元格（A1 和 XFD1048576 两个单元格就会让稠密读取器分配数 GB 内存）",
        "a sheet's used range exceeds 10 million cells (two cells at A1 and XFD1048576 would make a dense reader allocate gigabytes)",
    ),
    _refused(
        "too_many_cells",
        "文件的单元格总数超过 `QTM_MAX_CELLS`（默认 5 000 000）—— 每张工作表按 A1 到其最远单元格的矩形计数，与稠密读取器的分配相同 —— 或 CSV 文件的单元格超过此数；在生成单元格之前检查（32 张各在 A1 和 Z384000 有单元格的工作表只是一个 20 KB 的文件）",
        "the file holds more than `QTM_MAX_CELLS` cells (default 5 000 000), all sheets together — each sheet counted as the rectangle from A1 to its furthest cell, as a dense reader allocates it — or a CSV file more cells than that; checked before the cells are made (32 sheets each with a cell at A1 and one at Z384000 are a 20 KB file)",
    ),
    _refused(
        "too_many_columns",
        "CSV 某行宽于 16 384 列（Excel 的最后一列 XFD）；指出超出上限的单元格",
        "a CSV line wider than 16 384 columns (Excel's last column, XFD); the cell past the limit is named",
    ),
    _refused("bad_encoding", "CSV 文件既非 UTF-8 也非 GBK", "a CSV file neither UTF-8 nor GBK"),
    _refused(
        "unreadable",
        "文件完全无法打开（不存在、无权限）",
        "the file cannot be opened at all (missing, no permission)",
    ),
)

#: Each code's entry.
CODES: dict[str, ProblemCode] = {entry.code: entry for entry in CATALOGUE}
