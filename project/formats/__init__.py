"""Date and time formats of the admin, replacing Django's en-us defaults (FORMAT_MODULE_PATH in settings)."""
