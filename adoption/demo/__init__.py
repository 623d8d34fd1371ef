"""The Hà Giang demo scenario: `python manage.py seed_demo`."""

from .logins import login_table
from .seed import seed

__all__ = ["login_table", "seed"]
