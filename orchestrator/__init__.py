"""The project's wiring: settings, URLs, the API root, Celery, WSGI/ASGI, project-wide
commands and the tests that span apps. It may import any app; no app imports it."""
