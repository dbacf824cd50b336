"""People, their devices and networks, creators and their videos."""

import unicodedata

import numpy as np
import phonenumbers
from faker import Faker

from .config import DAY_MS, HOUR_MS
from .core import Draws, World

# Country, weight, Faker locale, UTC offset in hours (for daily activity cycles).
COUNTRIES = [
    ("US", 0.28, "en_US", -5),
    ("IN", 0.12, "en_IN", 5),
    ("BR", 0.10, "pt_BR", -3),
    ("GB", 0.09, "en_GB", 0),
    ("DE", 0.07, "de_DE", 1),
    ("MX", 0.06, "es_MX", -6),
    ("FR", 0.06, "fr_FR", 1),
    ("PH", 0.05, "en_PH", 8),
    ("NG", 0.05, "en_NG", 1),
    ("ES", 0.04, "es_ES", 1),
    ("CA", 0.04, "en_CA", -5),
    ("JP", 0.04, "ja_JP", 9),
]
COUNTRY_CODES = [c[0] for c in COUNTRIES]
COUNTRY_WEIGHTS = np.array([c[1] for c in COUNTRIES]) / sum(c[1] for c in COUNTRIES)
UTC_OFFSET_HOURS = {c[0]: c[3] for c in COUNTRIES}

# First octets of consumer ISP space, none in the bundled data-centre list.
RESIDENTIAL_OCTETS = [
    24,
    50,
    67,
    68,
    71,
    73,
    76,
    77,
    78,
    79,
    81,
    82,
    84,
    86,
    87,
    90,
    91,
    92,
    93,
    98,
    99,
    109,
    176,
    178,
    186,
    187,
    189,
    190,
    201,
]
DEMO_CREATOR_EMAIL = "demo.creator@example.com"
DEMO_CREATOR_HANDLE = "demo_creator"
EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
# Daily cycle of activity by local hour: quiet at night, a lunch bump, an evening peak.
LOCAL_HOUR_WEIGHTS = np.array(
    [3, 2, 1.2, 0.8, 0.6, 0.7, 1.2, 2.2, 3, 3.2, 3.4, 3.8, 4.6, 4.4, 4, 4, 4.4, 5.2, 6.4, 7.6, 8.4, 8.2, 6.6, 4.6]
)
LOCAL_HOUR_WEIGHTS = LOCAL_HOUR_WEIGHTS / LOCAL_HOUR_WEIGHTS.sum()

APP_USER_AGENTS = [
    "ValueTok/38.2.1 (iPhone15,2; iOS 18.1; Scale/3.00)",
    "ValueTok/38.2.1 (iPhone14,5; iOS 17.6; Scale/3.00)",
    "ValueTok/38.1.0 (iPad13,4; iPadOS 18.0; Scale/2.00)",
    "ValueTok/38.2.0 (Linux; Android 14; SM-S918B) okhttp/4.12.0",
    "ValueTok/38.2.0 (Linux; Android 13; Pixel 7) okhttp/4.12.0",
    "ValueTok/37.9.4 (Linux; Android 12; Redmi Note 11) okhttp/4.11.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
]
APP_USER_AGENT_WEIGHTS = np.array([0.2, 0.12, 0.04, 0.22, 0.14, 0.14, 0.09, 0.05])

NICHES = {
    "cooking": (
        ["Crispy {x} in 60 seconds", "My grandmother's {x}", "{x}, three ways", "The only {x} recipe you need"],
        ["garlic noodles", "banana bread", "dumplings", "tacos", "ramen", "pancakes", "curry"],
        ["cooking", "recipe", "foodtok", "easyrecipe"],
    ),
    "fitness": (
        ["{x} for beginners", "30 days of {x}", "Fix your {x} form", "A 10-minute {x} routine"],
        ["squats", "push-ups", "mobility", "core", "running", "kettlebell"],
        ["fitness", "workout", "gym", "homeworkout"],
    ),
    "comedy": (
        ["When your {x} ...", "POV: your {x} finds out", "Things my {x} says", "{x} be like"],
        ["roommate", "boss", "mum", "cat", "group chat", "landlord"],
        ["comedy", "funny", "pov", "relatable"],
    ),
    "tech": (
        ["I tried {x} for a week", "{x} explained in a minute", "Stop doing this with your {x}", "Is {x} worth it?"],
        ["a foldable phone", "mechanical keyboards", "home servers", "e-readers", "smart glasses"],
        ["tech", "gadgets", "techtok", "review"],
    ),
    "travel": (
        ["48 hours in {x}", "{x} on a budget", "Hidden gems of {x}", "Don't visit {x} without this"],
        ["Lisbon", "Osaka", "Mexico City", "Lagos", "Edinburgh", "Goa", "Montreal"],
        ["travel", "traveltok", "budgettravel", "wanderlust"],
    ),
    "music": (
        ["{x} cover", "Learning {x} in a day", "How {x} was made", "Duet: {x}"],
        ["a jazz standard", "the guitar solo", "a lullaby", "beatboxing", "the piano intro"],
        ["music", "cover", "musician", "singing"],
    ),
    "pets": (
        ["My {x} learned a new trick", "Day in the life of a {x}", "{x} vs the vacuum"],
        ["dog", "cat", "parrot", "rabbit", "tortoise"],
        ["pets", "dogsoftiktok", "catlife", "animals"],
    ),
    "education": (
        ["{x} in one minute", "Why {x} matters", "The history of {x}", "Myths about {x}"],
        ["compound interest", "black holes", "the Roman roads", "vaccines", "photosynthesis"],
        ["learnontiktok", "science", "history", "edutok"],
    ),
}
TRENDING_TAGS = ["fyp", "viral", "trending", "foryou"]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class PeopleFactory:
    """Real-looking names, E.164 phones and emails, drawn deterministically per country.

    Faker and libphonenumber are slow per call, so each country gets a pool of names and of valid
    number prefixes once; people are then combined from the pools with the world's PRNG.
    """

    NAME_POOL = 300
    PHONE_PREFIX_POOL = 120
    RANDOM_TAIL_DIGITS = 4

    def __init__(self, rng: np.random.Generator, draws: Draws):
        self.rng = rng
        self.draws = draws
        self.first_names: dict[str, list[str]] = {}
        self.last_names: dict[str, list[str]] = {}
        self.phone_prefixes: dict[str, list[str]] = {}
        for index, (code, _, locale, _) in enumerate(COUNTRIES):
            fake = Faker(locale)
            fake.seed_instance(int(rng.integers(0, 2**31)) + index)
            if code == "JP":  # romanised, so that emails and handles stay readable
                first, last = fake.first_romanized_name, fake.last_romanized_name
            else:
                first, last = fake.first_name, fake.last_name
            self.first_names[code] = [first() for _ in range(self.NAME_POOL)]
            self.last_names[code] = [last() for _ in range(self.NAME_POOL)]
            self.phone_prefixes[code] = self._valid_prefixes(code)

    def _valid_prefixes(self, country: str) -> list[str]:
        """E.164 mobile numbers that libphonenumber accepts, less their last few digits."""
        template = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        national = str(template.national_number)
        keep = max(2, len(national) - 7)
        prefixes: list[str] = []
        for _ in range(self.PHONE_PREFIX_POOL * 20):
            digits = "".join(str(d) for d in self.rng.integers(0, 10, size=len(national) - keep))
            candidate = phonenumbers.PhoneNumber(
                country_code=template.country_code, national_number=int(national[:keep] + digits)
            )
            if phonenumbers.is_valid_number(candidate):
                e164 = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
                prefixes.append(e164[: -self.RANDOM_TAIL_DIGITS])
                if len(prefixes) == self.PHONE_PREFIX_POOL:
                    break
        if not prefixes:
            raise RuntimeError(f"no valid mobile number found for {country}")
        return prefixes

    def name(self, country: str) -> tuple[str, str]:
        return self.draws.pick(self.first_names[country]), self.draws.pick(self.last_names[country])

    def phone(self, country: str) -> str:
        prefix = self.draws.pick(self.phone_prefixes[country])
        return f"{prefix}{self.draws.below(10**self.RANDOM_TAIL_DIGITS):0{self.RANDOM_TAIL_DIGITS}d}"

    def email(self, first: str, last: str, serial: int) -> str:
        domain = EMAIL_DOMAINS[serial % len(EMAIL_DOMAINS)]
        return f"{ascii_slug(first) or 'user'}.{ascii_slug(last) or 'x'}{serial}@{domain}"


def random_public_ipv4(draws: Draws) -> str:
    first = draws.pick(RESIDENTIAL_OCTETS)
    return f"{first}.{draws.below(256)}.{draws.below(256)}.{1 + draws.below(254)}"


def random_ipv6_home(draws: Draws) -> str:
    words = [f"{draws.below(0x10000):x}" for _ in range(3)]
    return f"2a02:{words[0]}:{words[1]}:{words[2]}::{1 + draws.below(0xFFFF):x}"


def add_person(
    world: World, people: PeopleFactory, *, country: str, kind: str, joined_ms: int, with_phone: bool = True
) -> int:
    first, last = people.name(country)
    serial = len(world.users)
    world.users.public_id.append(world.draws.hex64() + world.draws.hex64())
    world.users.email.append(people.email(first, last, serial))
    world.users.first_name.append(first)
    world.users.last_name.append(last)
    world.users.phone.append(people.phone(country) if with_phone else "")
    world.users.country.append(country)
    world.users.joined_ms.append(joined_ms)
    world.users.kind.append(kind)
    return serial


def build_population(world: World, people: PeopleFactory) -> None:
    """Viewers in households behind shared home IPs, on mobile carriers behind CGNAT pools."""
    rng, config = world.rng, world.config
    countries = rng.choice(len(COUNTRIES), size=config.viewers + config.creators, p=COUNTRY_WEIGHTS)

    # Mobile carriers: per country three operators, each a pool of addresses in one or two /24s
    # that many subscribers share (carrier-grade NAT).
    carrier_pools: dict[str, list[tuple[int, int]]] = {}
    for code in COUNTRY_CODES:
        pools = []
        for _ in range(3):
            base = random_public_ipv4(world.draws).rsplit(".", 1)[0]
            size = int(rng.integers(8, 48))
            first = len(world.ips)
            for host in rng.choice(np.arange(1, 255), size=size, replace=False):
                world.add_ip(f"{base}.{int(host)}", code)
            pools.append((first, size))
        carrier_pools[code] = pools

    people_count = config.viewers + config.creators
    household_sizes = rng.choice([1, 2, 3, 4, 5], size=people_count, p=[0.34, 0.3, 0.16, 0.12, 0.08])
    age_days = np.clip(rng.lognormal(np.log(300), 0.9, size=people_count), 1, 2500)
    ipv6_home = rng.random(people_count) < 0.2
    carrier_pick = rng.integers(0, 3, size=people_count)
    device_counts = rng.choice([1, 2, 3], size=people_count, p=[0.62, 0.3, 0.08])
    agent_weights = APP_USER_AGENT_WEIGHTS / APP_USER_AGENT_WEIGHTS.sum()
    agents = rng.choice(len(APP_USER_AGENTS), size=int(device_counts.sum()), p=agent_weights).tolist()
    household_left, home_ip = 0, -1
    for index in range(people_count):
        country = COUNTRY_CODES[countries[index]]
        is_creator = index < config.creators
        user = add_person(
            world,
            people,
            country=country,
            kind="creator" if is_creator else "viewer",
            joined_ms=config.end_ms - int(age_days[index] * DAY_MS),
        )
        # Creators and viewers fill households; a new household gets a new home address.
        if household_left <= 0 or is_creator:
            home = random_ipv6_home(world.draws) if ipv6_home[index] else random_public_ipv4(world.draws)
            home_ip = world.add_ip(home, country)
            household_left = int(household_sizes[index])
        household_left -= 1
        world.user_home_ip[user] = home_ip
        world.user_carrier_pool[user] = carrier_pools[country][int(carrier_pick[index])]
        world.user_devices[user] = [
            world.add_device(APP_USER_AGENTS[agents.pop()]) for _ in range(int(device_counts[index]))
        ]


def build_creators_and_videos(world: World, people: PeopleFactory) -> None:
    rng, config = world.rng, world.config
    niches = list(NICHES)
    used_handles: set[str] = set()
    for creator_index in range(config.creators):
        user = creator_index  # the population builder made creators first
        first, last = world.users.first_name[user], world.users.last_name[user]
        niche = niches[int(rng.integers(0, len(niches)))]
        if creator_index == 0:
            handle, display = DEMO_CREATOR_HANDLE, "Demo Creator"
            world.users.email[user] = DEMO_CREATOR_EMAIL
        else:
            handle = f"{ascii_slug(first)[:10]}_{niche}{creator_index}"[:30]
            display = f"{first} {last}"
        assert handle not in used_handles
        used_handles.add(handle)
        created = world.users.joined_ms[user] + int(rng.integers(0, 20)) * DAY_MS
        world.creators.user.append(user)
        world.creators.handle.append(handle)
        world.creators.display_name.append(display)
        world.creators.bio.append(f"{niche.capitalize()} videos by {first}. New uploads every week.")
        world.creators.country.append(world.users.country[user])
        world.creators.created_ms.append(min(created, config.start_ms - config.days * DAY_MS))
        world.creators.niche.append(niche)
        # Creator reach is heavy-tailed; the demo creator is comfortably popular.
        popularity = 8.0 if creator_index == 0 else float(rng.lognormal(0, 1.4))
        world.creators.popularity.append(popularity)
        world.creator_of_user[user] = creator_index

    draws = world.draws
    span = int(1.5 * config.days * DAY_MS - 3 * HOUR_MS)
    for creator_index in range(config.creators):
        templates, subjects, tags = NICHES[world.creators.niche[creator_index]]
        for _ in range(1 + int(rng.poisson(6))):
            title = draws.pick(templates).format(x=draws.pick(subjects))
            first_tag = draws.below(len(tags))
            chosen = {tags[first_tag], tags[(first_tag + 1 + draws.below(len(tags) - 1)) % len(tags)]}
            if draws.random() < 0.5:
                chosen.add(draws.pick(TRENDING_TAGS))
            public_id = draws.hex64() + draws.hex64()
            width, height = (1080, 1920) if draws.random() < 0.85 else (720, 1280)
            codec_draw = draws.random()
            codec = "h264" if codec_draw < 0.78 else "hevc" if codec_draw < 0.92 else "vp9"
            created = config.start_ms - config.days * DAY_MS // 2 + int(draws.random() * span)
            duration = float(np.exp(np.log(25_000) + 0.6 * _normal(draws)))
            world.videos.public_id.append(public_id)
            world.videos.creator.append(creator_index)
            world.videos.title.append(title[:150])
            world.videos.description.append(f"{title}. " + " ".join(f"#{t}" for t in sorted(chosen)))
            world.videos.hashtags.append(tuple(sorted(chosen)))
            world.videos.source_url.append(f"https://media.valuetok.example/v/{public_id}.mp4")
            world.videos.duration_ms.append(int(min(max(duration, 5_000), 180_000)))
            world.videos.width.append(width)
            world.videos.height.append(height)
            world.videos.codec.append(codec)
            world.videos.status.append("published" if draws.random() < 0.97 else "pending")
            world.videos.created_ms.append(min(created, config.end_ms - 3 * HOUR_MS))
            # Pareto(1.3) by inversion: heavy-tailed popularity within a creator's catalogue.
            pareto = (1.0 - draws.random()) ** (-1 / 1.3) - 1.0
            world.videos.popularity.append(world.creators.popularity[creator_index] * (pareto + 0.05))


def _normal(draws: Draws) -> float:
    """A standard normal deviate (Box-Muller) from the batched uniforms."""
    u1, u2 = 1.0 - draws.random(), draws.random()
    return float(np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2))
