import os

from django.core.wsgi import get_wsgi_application

from config import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
tracing.configure()  # before Django builds its middleware: the request spans wrap it
django_application = get_wsgi_application()

# Imported once Django is set up; refuses non-UTF-8 charsets before Django sees them.
from config.request_charset import utf8_only  # noqa: E402

application = utf8_only(django_application)
