from tests.web.conftest import login, world  # noqa: F401  (the web app's hand-made world and login)
