import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")
# Web requests give up on a database statement after 30 s (powerco/settings.py), so a stuck
# database answers an error page instead of holding every worker.
os.environ.setdefault("DB_STATEMENT_TIMEOUT", "30")
application = get_wsgi_application()
