"""Serves a one-file Django app with Debian's python3-sentry-sdk tracing every request (to the DSN
given as the first argument), requests /orders/ twice and /sentry-debug/ once (two SQL queries,
then 1 / 0), and prints the trace id of /sentry-debug/'s error (its transaction's trace), for the
end-to-end test."""
import sys
import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings
from django.urls import path

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="e2e",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

traces = []


def keep_trace(event, hint):
    # The error carries the trace of the request it was raised in (SDK 1.9 has no hook for transactions).
    traces.append(event.get("contexts", {}).get("trace", {}).get("trace_id", ""))
    return event


sentry_sdk.init(
    dsn=sys.argv[1],
    integrations=[DjangoIntegration()],
    traces_sample_rate=1.0,
    release="shop@2.0.0",
    environment="e2e",
    before_send=keep_trace,
)
django.setup()

from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpResponse


def trigger_error(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT %s + %s", [2, 3])
    return HttpResponse(str(1 / 0))


def orders(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


urlpatterns = [path("sentry-debug/", trigger_error), path("orders/", orders)]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
for route in ("orders/", "orders/", "sentry-debug/"):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/{route}").read()
    except urllib.error.HTTPError:
        pass
sentry_sdk.flush(10)
server.shutdown()
print(traces[0] if traces else "")
