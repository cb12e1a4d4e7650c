from .db import Database, open_database
from .migrations import LATEST, migrate
from .repo import Store

__all__ = ["Database", "LATEST", "Store", "migrate", "open_database"]
