"""PostgreSQL only: a GIN index over the services' full-text expression (a no-op on SQLite).

The expression must stay identical to ``catalog.selectors.catalog.SEARCH_VECTOR_SQL``.
"""

from django.db import migrations

INDEX = "catalog_service_search_gin"
EXPRESSION = (
    "to_tsvector('simple'::regconfig, "
    "COALESCE(name, '') || ' ' || COALESCE(slug, '') || ' ' || COALESCE(description, ''))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_service USING gin ({EXPRESSION})"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_deprecations")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
