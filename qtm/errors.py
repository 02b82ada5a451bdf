"""One family of errors: every error that ends an operation with a message for the user is a :class:`QtmError`.

Each carries a ``code`` (a stable word a script can test), its message in Chinese (``zh``) and English (``en``,
also ``str(error)``), the HTTP status it answers with on the web (``status``), and for an error in a data file the
place it is in (``place``: file, sheet, cell). The CLI prints any of them as one line without a traceback
(qtm_command.cli); the web answers any of them, and every HTTP error of the API, in one JSON shape
(dashboard/errors.py, docs/deploy.md "Errors")::

    {"error": {"code": "...", "message": "<中文>", "message_en": "<English>", "status": 400, "place": null}}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Place:
    """Where in a data file an error is: any of its file, sheet and cell (A1)."""

    file: str | None = None
    sheet: str | None = None
    cell: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return asdict(self)


class QtmError(Exception):
    """Base class: the message is meant for the user, complete and on one line. ``zh`` defaults to the English
    message where no Chinese one is given; ``code`` and ``status`` to the class's own."""

    code: str = "error"
    status: int = 500

    def __init__(
        self,
        en: str = "",
        zh: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        place: Place | None = None,
    ) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh if zh is not None else en
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.place = place

    @property
    def message(self) -> str:
        """Chinese, then English (one of them when they are the same)."""
        return self.en if self.zh == self.en else f"{self.zh} / {self.en}"

    def as_json(self) -> dict[str, object]:
        """The one JSON shape of an error (docs/deploy.md "Errors")."""
        return error_json(self.code, self.zh, self.en, self.status, self.place)


def error_json(code: str, zh: str, en: str, status: int, place: Place | None = None) -> dict[str, object]:
    """``{"error": {"code", "message" (Chinese), "message_en", "status", "place" (or None)}}``."""
    return {
        "error": {
            "code": code,
            "message": zh,
            "message_en": en,
            "status": status,
            "place": place.as_json() if place is not None else None,
        }
    }


class ConfigError(QtmError):
    """The registry, the regions file or a setting is invalid."""

    code = "config"


class StoreError(QtmError):
    """The database cannot be opened or is not at the schema this version expects; or it refuses a change."""

    code = "store"


class Forbidden(QtmError):
    """The user may not do this (403), or must log in first (401); ``zh``/``en`` say why."""

    code = "forbidden"
    status = 403

    def __init__(self, zh: str, en: str, status: int = 403) -> None:
        super().__init__(en, zh, code="login_required" if status == 401 else "forbidden", status=status)
