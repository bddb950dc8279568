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


class ActionNotPermitted(StagingError):
    """The actor lacks the role for this action (checked on the server, whatever the UI showed)."""

    def __init__(self, *, actor, action: str):
        self.actor, self.action = actor, action
        who = actor.get_username() if actor is not None and actor.is_authenticated else "An anonymous user"
        super().__init__(f"{who} may not {action}.")


class SelfReviewRefused(StagingError):
    """Four-eyes rule: the creator or last editor of an item may not approve or reject it."""

    def __init__(self, *, item, actor):
        self.item, self.actor = item, actor
        super().__init__(
            f"'{item}': you created or last edited this item, so someone else has to review it (four-eyes rule)."
        )


class CommentRequired(StagingError):
    def __init__(self, *, action: str):
        self.action = action
        super().__init__(f"A comment is required to {action}.")


class ItemLocked(StagingError):
    """The item may not be edited now; `reason` says why and by whom."""

    def __init__(self, *, item, reason: str):
        self.item, self.reason = item, reason
        super().__init__(f"'{item}' is locked: {reason}")


class ContentChangedSinceSubmit(StagingError):
    def __init__(self, *, item):
        self.item = item
        super().__init__(f"'{item}' changed after it was submitted; it has to be submitted again.")


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


class ImportNotFound(StagingError):
    """An import token that names no upload of this user and session (expired, finished, tampered or foreign)."""

    def __init__(self):
        super().__init__("This upload is not available any more (it was imported, expired, or belongs to another "
                         "session). Upload the file again.")


class TranslationRefused(StagingError):
    """A translation in a locale it may not have (the primary, a disabled one, another site's); str() says why."""

    def __init__(self, *, item, locale, reason: str):
        self.item, self.locale, self.reason = item, locale, reason
        super().__init__(f"'{item}': no {locale.tag} translation: {reason}")


class RevertRefused(StagingError):
    """A history version cannot be put back: it is not this object's, changes nothing, or no longer fits."""

    def __init__(self, message: str, *, obj=None):
        self.obj = obj
        super().__init__(message)


class RemovalRefused(StagingError):
    """A removal request cannot be made: the item is not in Webflow, is held by review or a batch, or bad input."""

    def __init__(self, message: str, *, item=None):
        self.item = item
        super().__init__(message)
