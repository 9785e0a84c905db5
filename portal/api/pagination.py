from __future__ import annotations

from collections.abc import Callable

from rest_framework.pagination import PageNumberPagination


class DefaultPagination(PageNumberPagination):
    """The one pagination of every list: ``?page=N&page_size=M`` (M ≤ 500), with ``next`` links."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CountedRows:
    """A lazy sequence for the paginator of a hot list: a count and a page fetch, nothing else.

    ``count()`` runs once (cached) and ``rows[a:b]`` calls ``fetch(offset=a, limit=b - a)``, so
    ``DefaultPagination.paginate_queryset(CountedRows(...), request, view)`` gives the same pages,
    errors (404 for a page out of range) and ``count``/``next``/``previous`` links as for a
    queryset, without cloning querysets or counting through the joins of the page query.
    """

    def __init__(self, *, count: Callable[[], int], fetch: Callable[..., list]):
        self._count_fn = count
        self._fetch = fetch
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._count_fn()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("CountedRows supports only contiguous slices")
        start = max(0, key.start or 0)
        stop = self.count() if key.stop is None else key.stop
        if stop <= start:
            return []
        return self._fetch(offset=start, limit=stop - start)
