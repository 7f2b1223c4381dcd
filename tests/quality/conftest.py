from tests.web.conftest import login, world  # noqa: F401
