from rest_framework.pagination import PageNumberPagination


class DefaultPagination(PageNumberPagination):
    """The one pagination of every list: ``?page=N&page_size=M`` (M ≤ 500), with ``next`` links."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
