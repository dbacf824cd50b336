import numpy as np

from .config import WorldConfig
from .core import World
from .organic import build_background_follows, build_organic_events
from .population import PeopleFactory, build_creators_and_videos, build_population
from .scenarios import REGISTRY, run_scenarios


def build_world(config: WorldConfig) -> World:
    """The whole world for a seed and knobs. The order of steps is part of the output: keep it."""
    unknown = [name for name in config.scenarios if name not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    world = World(config=config, rng=np.random.default_rng(config.rng_seed()))
    people = PeopleFactory(world.rng, world.draws)
    build_population(world, people)
    build_creators_and_videos(world, people)
    run_scenarios(world, people, config.scenarios, int(config.events * config.fraud_share))
    build_organic_events(world, config.events - world.event_count)
    build_background_follows(world)
    world.finalise()
    return world
