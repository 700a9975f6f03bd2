"""Reports one exception with the Python Sentry SDK to the DSN given as the first argument and
prints the event id it returned, for the end-to-end test to look up."""
import sys

import sentry_sdk


def charge(order):
    return order["total"] / order["items"]


sentry_sdk.init(dsn=sys.argv[1], release="faultline-e2e-python@1.0.0", environment="e2e")
sentry_sdk.set_tag("suite", "python-sdk")
try:
    charge({"total": 10, "items": 0})
except ZeroDivisionError:
    event_id = sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
print(event_id)
