"""Errors that end an operation with one clear line for the user (the CLI prints them without a traceback)."""


class QtmError(Exception):
    """Base class: the message is meant for the user, complete and on one line."""


class ConfigError(QtmError):
    """The registry, the regions file or a setting is invalid."""


class StoreError(QtmError):
    """The database cannot be opened or is not at the schema this version expects."""
