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


class BatchError(StagingError):
    """A push batch refused an action; `batch` may be None when the batch could not be built."""

    def __init__(self, message: str, *, batch=None):
        self.batch = batch
        super().__init__(message)


class BatchActionRefused(BatchError):
    """The actor lacks the publisher permission for a batch action."""

    def __init__(self, *, actor, action: str, batch=None):
        self.actor, self.action = actor, action
        super().__init__(f"{actor} may not {action} push batches: only Publishers can.", batch=batch)


class BatchStateError(BatchError):
    """The batch (or one of its items) is not in a state that allows the action."""


class PreflightFailed(BatchError):
    """Pre-flight found problems; `problems` lists each item and reason, and nothing was queued."""

    def __init__(self, *, batch, problems):
        self.problems = list(problems)
        lines = "; ".join(str(problem) for problem in self.problems[:20])
        more = f" (and {len(self.problems) - 20} more)" if len(self.problems) > 20 else ""
        super().__init__(f"Pre-flight failed, nothing was queued: {lines}{more}", batch=batch)
