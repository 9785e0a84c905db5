from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """Values every page needs: the unread notification count for the header."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        try:
            from portal.notifications.selectors import inbox_unread_count

            unread = inbox_unread_count(user=user)
        except ImportError:  # pragma: no cover - the inbox is optional
            unread = 0
    return {"portal_unread_count": unread}
