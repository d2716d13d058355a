"""WSGI entry point (gunicorn llmhub.wsgi).

The plain warm flag evaluation is answered by the evaluation lane before Django's full request
cycle (flags/api/fastpath.py); everything else goes to Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmhub.settings.production")

django_application = get_wsgi_application()

from flags.api.fastpath import EvaluationLane  # noqa: E402  (needs the app registry)

application = EvaluationLane(django_application)
