"""Pages whose widgets bring an inline import map (the rich-text editor's) give it the request's CSP nonce."""


class CspNonceMediaMixin:
    """For ModelAdmins whose forms use django-js-asset media: the Content-Security-Policy allows no inline script
    without the nonce, and the editor's `<script type="importmap">` is one."""

    def render_change_form(self, request, context, *args, **kwargs):
        media = context.get("media")
        nonce = getattr(request, "csp_nonce", None)
        if nonce is not None and hasattr(media, "with_nonce"):
            context["media"] = media.with_nonce(nonce)
        return super().render_change_form(request, context, *args, **kwargs)
