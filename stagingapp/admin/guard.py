"""No lost work on any change form: the one unsaved-changes guard, added to every admin that edits something."""
from django import forms

UNSAVED_GUARD_MEDIA = forms.Media(js=["stagingapp/unsaved_guard.js"])


class UnsavedChangesGuardMixin:
    """Put first among the bases: Django's media metaclass folds this into each admin's own Media."""

    @property
    def media(self):
        return super().media + UNSAVED_GUARD_MEDIA
