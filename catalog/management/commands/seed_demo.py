"""``manage.py seed_demo``: the demo users (the full demo organisation is added by the catalog)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load a believable demo organisation (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, staff in (("admin", True), ("alice", False)):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(username)
                user.save()
        self.stdout.write(self.style.SUCCESS("Demo users ready: admin/admin (staff), alice/alice."))
