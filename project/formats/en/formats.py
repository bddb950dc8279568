# "7 Dec 2026, 14:52" rather than Django's en-us "Dec. 7, 2026, 2:52 p.m.": shorter in list columns, one clock
# for everyone, and the same as the app's own pages (batch progress, audit entries) write. Input formats stay
# Django's.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
