from celery import shared_task

from django.core.management import call_command


@shared_task(name="smsportal.ping")
def ping(value: str = "pong") -> str:
    """Echo a value; used by health checks and the worker round-trip test."""
    return value


@shared_task(name="smsportal.jobs_sweep")
def jobs_sweep() -> dict:
    """Send lost contacts jobs again; settle those whose worker is gone."""
    from dataclasses import asdict

    from smsportal.job_sweep import jobs_sweep as sweep

    return asdict(sweep())


@shared_task(name="smsportal.sessions_clear")
def sessions_clear() -> None:
    """Delete expired sessions (Django's `clearsessions`): the database backend keeps
    every session row until someone does, one a sign-in, for ever."""
    call_command("clearsessions")
