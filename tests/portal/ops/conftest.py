import pytest

from tests.portal.ops.test_gunicorn import start_gunicorn


@pytest.fixture
def gunicorn_server(tmp_path):
    """A real gunicorn (gunicorn.conf.py, test settings, empty SQLite file): (process, base URL)."""
    proc, base, log = start_gunicorn(tmp_path)
    yield proc, base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
