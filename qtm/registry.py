"""The target registry: plans, the indicators they measure and the targets they promise (``targets.yaml``).

An *indicator* is what is measured (in every region); a *target* is what one plan promises for one indicator in
one jurisdiction. The registry is checked completely when it is loaded: the first problem raises
:class:`~qtm.errors.ConfigError` with one line naming the file, the entry and the key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qtm import PROJECT_ROOT
from qtm.errors import ConfigError
from qtm.periods import Period
from qtm.regions import Regions, load_regions
from qtm.units import convert, converts, is_dimensionless, is_known_unit, normalise_text

DEFAULT_REGISTRY_FILE = PROJECT_ROOT / "targets.yaml"

Kind = Literal["rate", "duration", "count", "index"]
#: The plans' areas of work: 民生消费 (consumer goods, farm products, food), 产业基础 (industrial foundations and
#: equipment), 新技术新产业 (new technology, smart manufacturing), 服务 (services), 工程 (construction and roads).
Category = Literal["consumer", "industrial", "emerging", "service", "engineering"]
Direction = Literal["higher", "lower"]
Aggregation = Literal["mean", "last", "sum"]
Comparator = Literal["at_least", "at_most", "about", "improve"]
Method = Literal["auto", "growth_ratio", "expected_path"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(_Strict):
    """A name in Chinese first, with English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class LeftOut(_Strict):
    """A sentence of a plan that promises something checkable yet is not a target: the words and why not."""

    clause: str = Field(min_length=1, description="Where in the plan, as for a target's clause")
    quote: str = Field(
        min_length=1,
        description="The plan's words by the quoting rule; fragments apart from each other joined by '；' or '…'",
    )
    quote_source: str | None = Field(
        default=None, description="Where the words come from when they are not in the plan's seed"
    )
    reason: str = Field(min_length=1, description="Why it is not a target (no number, no indicator, …)")

    @field_validator("quote")
    @classmethod
    def _no_whitespace(cls, quote: str) -> str:
        if any(c.isspace() for c in quote):
            raise ValueError("a quote holds no whitespace (the quoting rule of docs/registry.md)")
        return quote


class Plan(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    issuer: str
    number: str | None = Field(
        default=None, description="The document number (发文字号), as the plan prints it"
    )
    date: dt.date | None = Field(description="Date of issue; null when the source does not state it")
    jurisdiction: str = Field(description="GB/T 2260 code of the area the plan governs")
    seed: str | None = Field(description="File in shared/seeds/ the plan was read from")
    base_year: int | None = Field(
        default=None,
        description="The year whose figures stood when the plan was issued: relative targets' baseline",
    )
    base_year_note: str | None = Field(default=None, description="Why this base year: qtm's reading")
    date_source: str | None = Field(
        default=None,
        description="Where the date of issue (and number) were read when the seed does not give them",
    )
    note: str | None = None
    left_out: list[LeftOut] = Field(
        default_factory=list, description="Checkable sentences of the plan that are not targets, and why"
    )

    @model_validator(mode="after")
    def _base_year_is_explained(self) -> Plan:
        if self.base_year is not None and not self.base_year_note:
            raise ValueError("a base_year needs a base_year_note saying it is qtm's reading of the plan")
        for index, left in enumerate(self.left_out):
            if left.quote in {other.quote for other in self.left_out[:index]}:
                raise ValueError(f"left_out[{index}]: the same words are left out twice")
        return self


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    aliases: list[str] = Field(default_factory=list)
    unit: str = Field(description="A pint unit: percent, hour, count, dimensionless")
    kind: Kind
    category: Category
    direction: Direction
    aggregation: Aggregation = Field(description="How sub-annual values make an annual one")
    cumulative: bool = Field(default=False, description="A running total (factories built), not a level")
    counter: Text | None = Field(
        default=None,
        description="What one unit of a count or score is called: 家/enterprises, 个/scenarios, 分/points",
    )
    note: str | None = None

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        if not is_known_unit(unit):
            raise ValueError(f"unknown unit {unit!r}")
        return unit

    @model_validator(mode="after")
    def _kind_matches_unit(self) -> Indicator:
        dimensionless = is_dimensionless(self.unit)
        if self.kind in ("rate", "count", "index") and not dimensionless:
            raise ValueError(f"a {self.kind} needs a dimensionless unit, not {self.unit!r}")
        if self.kind == "duration" and dimensionless:
            raise ValueError(f"a duration needs a unit of time, not {self.unit!r}")
        if self.kind == "count" and self.counter is None:
            raise ValueError("a count needs a counter: what it counts (家 enterprises, 个 scenarios)")
        if self.kind in ("rate", "duration") and self.counter is not None:
            raise ValueError(f"a {self.kind} has its unit, not a counter")
        return self


class Relative(_Strict):
    """A target stated relative to a baseline that is data: ``factor`` × the value of ``baseline_indicator`` in
    force when the plan was issued — its latest value for a period that began no later than the end of
    ``baseline_period`` (by default the month of the plan's date of issue, else the plan's base year, filled in
    when the registry loads)."""

    factor: float = Field(gt=0)
    baseline_indicator: str
    baseline_period: str | None = Field(
        default=None,
        description=(
            "The latest baseline value of a period begun by the end of this one counts; default: the month of "
            "the plan's date of issue, else its base_year"
        ),
    )
    label: Text = Field(
        description="What the baseline is, in words: 现行国家标准值 / current national standard"
    )

    @field_validator("baseline_period")
    @classmethod
    def _period(cls, period: str | None) -> str | None:
        if period is not None:
            Period.parse(period)
        return period


class Baseline(_Strict):
    period: str
    value: float | None = Field(
        default=None, description="Known base value; null when it must come from data"
    )
    source: str | None = None
    note: str | None = Field(
        default=None, description="Why this base period: qtm's reading, when the plan names none"
    )

    @field_validator("period")
    @classmethod
    def _period(cls, period: str) -> str:
        Period.parse(period)
        return period

    @model_validator(mode="after")
    def _explained(self) -> Baseline:
        if not self.source and not self.note:
            raise ValueError("a baseline needs a source or a note saying it is qtm's reading")
        return self


class Milestone(_Strict):
    date: dt.date
    value: float


class Target(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    indicator: str
    jurisdiction: str
    plan: str
    clause: str = Field(description='Where in the plan, e.g. "(七)" or "一(二) 主要目标"')
    quote: str = Field(min_length=1, description="The plan's own wording, as in the seed")
    quote_source: str | None = Field(
        default=None,
        description="Where the quote comes from when it is not the plan's seed (a published text)",
    )
    quote_note: str | None = Field(
        default=None, description="Why the quote is not in the seed, when it is not"
    )
    comparator: Comparator
    value: float | None = None
    tolerance: float | None = Field(default=None, gt=0, description="Half-width of the band for 'about'")
    relative: Relative | None = None
    baseline: Baseline | None = None
    deadline: dt.date
    deadline_note: str | None = Field(
        default=None, description="Where the deadline comes from when the quote does not state its year"
    )
    milestones: list[Milestone] = Field(default_factory=list)
    method: Method = "auto"
    departments: list[str] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Target:
        if self.comparator == "improve":
            if self.value is not None or self.relative is not None:
                raise ValueError("a direction-only target ('improve') has no value and no relative")
            if self.baseline is None:
                raise ValueError("a direction-only target ('improve') needs a baseline period")
        elif (self.value is None) == (self.relative is None):
            raise ValueError(f"a '{self.comparator}' target needs exactly one of value and relative")
        if self.comparator == "about" and self.tolerance is None:
            raise ValueError("an 'about' target needs a tolerance")
        if self.comparator != "about" and self.tolerance is not None:
            raise ValueError("only an 'about' target has a tolerance")
        if self.baseline is not None and self.deadline < Period.parse(self.baseline.period).end:
            raise ValueError(f"deadline {self.deadline} is before the end of baseline {self.baseline.period}")
        for milestone in self.milestones:
            if milestone.date > self.deadline:
                raise ValueError(f"milestone {milestone.date} is after the deadline {self.deadline}")
        if str(self.deadline.year) not in self.quote and not self.deadline_note:
            raise ValueError(
                f"the quote does not state {self.deadline.year}: a deadline_note must say it is qtm's reading"
            )
        if self.quote_source is not None and not self.quote_note:
            raise ValueError("a quote from outside the seed (quote_source) needs a quote_note saying why")
        return self


class _Document(_Strict):
    plans: list[Plan]
    indicators: list[Indicator]
    targets: list[Target]


def _fingerprint(document: _Document, regions: Regions) -> str:
    import hashlib

    text = document.model_dump_json() + "|" + "|".join(f"{r.code}:{r.parent}" for r in regions)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Registry:
    """The loaded, cross-checked registry, with lookups by id and by any name officials write."""

    def __init__(self, document: _Document, regions: Regions, source: Path) -> None:
        self.source = source
        self.regions = regions
        self.plans = {p.id: p for p in document.plans}
        self.indicators = {i.id: i for i in document.indicators}
        self.targets = {t.id: t for t in document.targets}
        #: Changes whenever a plan, indicator, target or region changes: a key for what is computed from them.
        self.fingerprint = _fingerprint(document, regions)
        self._by_name: dict[str, Indicator] = {}
        for indicator in document.indicators:
            for name in (indicator.id, indicator.name.zh, indicator.name.en, *indicator.aliases):
                self._by_name[_name_key(name)] = indicator

    def resolve_indicator(self, text: str) -> Indicator | None:
        """The indicator written as ``text`` (id, Chinese or English name, alias), or ``None``."""
        return self._by_name.get(_name_key(text))

    def indicator_names(self) -> list[str]:
        return sorted({n for i in self.indicators.values() for n in (i.id, i.name.zh, i.name.en, *i.aliases)})

    def targets_for(self, indicator_id: str) -> list[Target]:
        return [t for t in self.targets.values() if t.indicator == indicator_id]

    def as_json(self) -> dict[str, Any]:
        """The documented ``qtm targets --json`` shape: ``{"plans": [...], "indicators": [...], "targets": [...]}``."""
        return {
            "plans": [p.model_dump(mode="json") for p in self.plans.values()],
            "indicators": [i.model_dump(mode="json") for i in self.indicators.values()],
            "targets": [t.model_dump(mode="json") for t in self.targets.values()],
        }


def _name_key(name: str) -> str:
    return "".join(normalise_text(name).split()).casefold()


#: libyaml's safe loader where PyYAML was built with it (3 × faster on targets.yaml: every command reads it), else
#: the pure-Python one; both build only plain data.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_registry(path: Path = DEFAULT_REGISTRY_FILE, regions: Regions | None = None) -> Registry:
    """Read and check a registry file; raises :class:`ConfigError` with one line naming file, entry and key."""
    regions = regions if regions is not None else load_regions()
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the registry ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the registry must be a mapping with plans, indicators and targets")
    try:
        document = _Document.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, raw)}") from None
    _check_references(document, regions, path)
    return Registry(_with_relative_periods(document, path), regions, path)


def _with_relative_periods(document: _Document, path: Path) -> _Document:
    """Relative targets without a ``baseline_period`` take the month their plan was issued in ("现行国家标准" is
    the standard in force on the date of issue), else, for a plan without a date, its base year."""
    plans = {p.id: p for p in document.plans}
    targets = []
    for index, target in enumerate(document.targets):
        relative = target.relative
        if relative is not None and relative.baseline_period is None:
            plan = plans[target.plan]
            if plan.date is None and plan.base_year is None:
                raise ConfigError(
                    f"{path}: targets[{index}] ({target.id}): key 'relative.baseline_period': "
                    f"needed, since plan {target.plan!r} has neither a date nor a base_year"
                )
            period = f"{plan.date:%Y-%m}" if plan.date is not None else str(plan.base_year)
            relative = relative.model_copy(update={"baseline_period": period})
            target = target.model_copy(update={"relative": relative})
        targets.append(target)
    return document.model_copy(update={"targets": targets})


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    """One line for the first problem: the entry (section, index and id) and the key."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    parts: list[str] = []
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        entry = raw.get(section, [])[index] if isinstance(raw.get(section), list) else None
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        parts.append(f"{section}[{index}]" + (f" ({entry_id})" if entry_id else ""))
        loc = loc[2:]
    keys = ".".join(str(k) for k in loc if not str(k).startswith("function-"))
    if keys:
        parts.append(f"key '{keys}'")
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return ": ".join([*parts, message])


def _check_references(document: _Document, regions: Regions, path: Path) -> None:
    """Every id unique, every reference resolved, every value possible for its indicator's kind."""
    for section, ids in (
        ("plans", [p.id for p in document.plans]),
        ("indicators", [i.id for i in document.indicators]),
        ("targets", [t.id for t in document.targets]),
    ):
        _check_unique(path, section, ids)
    _check_indicator_names(path, document)
    _check_plans(path, document, regions)
    indicators = {i.id: i for i in document.indicators}
    plans = {p.id for p in document.plans}
    for index, target in enumerate(document.targets):
        place = _Place(path, "targets", index, target.id)
        _check_target_links(place, target, indicators, plans, regions)
        indicator = indicators[target.indicator]
        _check_relative(place, target, indicator, indicators)
        _check_possible_values(place, target, indicator)


class _Place:
    """Where in the registry file an entry stands, to name it in an error."""

    def __init__(self, path: Path, section: str, index: int, entry_id: str) -> None:
        self.path, self.section, self.index, self.entry_id = path, section, index, entry_id

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(
            f"{self.path}: {self.section}[{self.index}] ({self.entry_id}): key '{key}': {message}"
        )


def _check_unique(path: Path, section: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, entry_id in enumerate(ids):
        if entry_id in seen:
            raise _Place(path, section, index, entry_id).fail("id", "this id is used twice")
        seen.add(entry_id)


def _check_indicator_names(path: Path, document: _Document) -> None:
    """No name or alias may name two indicators."""
    names: dict[str, str] = {}
    for index, indicator in enumerate(document.indicators):
        for name in {_name_key(n) for n in (indicator.name.zh, indicator.name.en, *indicator.aliases)}:
            if names.get(name, indicator.id) != indicator.id:
                place = _Place(path, "indicators", index, indicator.id)
                raise place.fail("aliases", f"'{name}' also names {names[name]}")
            names[name] = indicator.id


def _check_plans(path: Path, document: _Document, regions: Regions) -> None:
    """A plan's jurisdiction is a known region; nothing it leaves out is also tracked as a target."""
    for index, plan in enumerate(document.plans):
        place = _Place(path, "plans", index, plan.id)
        if plan.jurisdiction not in regions:
            raise place.fail("jurisdiction", f"unknown region code {plan.jurisdiction!r}")
        targeted = {t.quote for t in document.targets if t.plan == plan.id}
        for left in plan.left_out:
            if left.quote in targeted:
                raise place.fail("left_out", f"{left.quote!r} is a target's quote: track it or leave it out")


def _check_target_links(
    place: _Place, target: Target, indicators: dict[str, Indicator], plans: set[str], regions: Regions
) -> None:
    if target.indicator not in indicators:
        raise place.fail("indicator", f"no indicator {target.indicator!r} in the registry")
    if target.plan not in plans:
        raise place.fail("plan", f"no plan {target.plan!r} in the registry")
    if target.jurisdiction not in regions:
        raise place.fail("jurisdiction", f"unknown region code {target.jurisdiction!r}")


def _check_relative(
    place: _Place, target: Target, indicator: Indicator, indicators: dict[str, Indicator]
) -> None:
    """A relative target's base indicator exists and its unit converts to the target's."""
    if target.relative is None:
        return
    key = "relative.baseline_indicator"
    base = indicators.get(target.relative.baseline_indicator)
    if base is None:
        raise place.fail(key, f"no indicator {target.relative.baseline_indicator!r} in the registry")
    if not converts(base.unit, indicator.unit):
        raise place.fail(key, f"its unit {base.unit!r} does not convert to {indicator.unit!r}")


def _check_possible_values(place: _Place, target: Target, indicator: Indicator) -> None:
    """A rate lies within 0–100 %; a count or a duration is never negative."""
    if indicator.kind == "rate":
        values = [("value", target.value), *(("milestones", m.value) for m in target.milestones)]
        if target.baseline is not None:
            values.append(("baseline.value", target.baseline.value))
        for key, value in values:
            if value is not None and not 0 <= convert(value, indicator.unit, "dimensionless") <= 1:
                raise place.fail(key, f"{value} {indicator.unit} is impossible for a rate (0–100 %)")
    if indicator.kind in ("count", "duration") and target.value is not None and target.value < 0:
        raise place.fail("value", f"a {indicator.kind} cannot be negative")
