from django.core.management.base import BaseCommand

from valuetok.schedules import periodic_tasks_sync


class Command(BaseCommand):
    help = "Install the periodic schedules declared in code into django-celery-beat (idempotent)."

    def handle(self, *args, **options) -> None:
        counts = periodic_tasks_sync()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
