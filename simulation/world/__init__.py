"""A deterministic synthetic world: people, networks, videos, engagement and planted fraud.

Everything here is pure computation driven by one seeded PRNG; nothing touches the database.
``simulation.world.writer`` persists a built world.
"""

from .build import build_world
from .config import WorldConfig
from .core import World

__all__ = ["World", "WorldConfig", "build_world"]
