"""List actions that make sense for one object (sync from Webflow, pull, verify), also as buttons on its page.

A button posts what the list's action bar posts (the action's name and this object's pk) to the list, so the same
action code, permission checks and messages run, and the list shows the outcome. Before, a newcomer who had just
added a site had to go back to the list, tick it and find "Sync locales from Webflow" in a menu."""


class ObjectActionsMixin:
    change_form_outer_after_template = "admin/stagingapp/object_actions.html"
    object_actions: tuple[str, ...] = ()  # names among the admin's actions, in button order

    def change_view(self, request, object_id, form_url="", extra_context=None):
        available = self.get_actions(request)  # only those this user may run
        buttons = [(name, available[name][2]) for name in self.object_actions if name in available]
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), "object_actions": buttons})
