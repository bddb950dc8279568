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
