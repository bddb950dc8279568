"""Domain errors: every refusal a service can give, each carrying the data a caller needs to explain it."""


class StagingError(Exception):
    """Root of the domain errors; str() is a message fit for an editor."""


class InvalidTransition(StagingError):
    def __init__(self, *, item, to_status):
        self.item, self.to_status = item, to_status
        super().__init__(
            f"'{item}' is {item.get_status_display().lower()} and cannot move to "
            f"{type(item).Status(to_status).label.lower()}."
        )


class WebflowSyncFailed(StagingError):
    """Reading a site's locales or a collection's fields from Webflow did not work; str() says why and what to do."""

    def __init__(self, message: str, *, cause: Exception | None = None):
        self.cause = cause
        super().__init__(message)


class FieldDataInvalid(StagingError):
    """Field values that do not fit the collection's schema; `errors` maps field slug -> messages."""

    def __init__(self, *, errors: dict[str, list[str]], item=None):
        self.errors, self.item = errors, item
        details = "; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items())
        prefix = f"'{item}': " if item is not None else ""
        super().__init__(f"{prefix}field values are invalid: {details}")


class ImportFileUnreadable(StagingError):
    """An import file that cannot be read as the format its extension names."""

    def __init__(self, *, path, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"cannot import {path}: {reason}")
