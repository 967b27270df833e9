from celery import shared_task


@shared_task(name="smsportal.ping")
def ping(value: str = "pong") -> str:
    """Echo a value; used by health checks and the worker round-trip test."""
    return value
