"""Privacy controls: opt-out, opt-in, export, forget, and the retention and guild purges
(`job` is their daily run).

See docs/privacy.md for the data statement and `registry` for how tables declare personal
data.
"""

from bot.privacy.registry import RegistryError, personal_tables, validate
from bot.privacy.service import GUILD_GRACE_PERIOD, OptOutSwitch, PrivacyService, PurgeReport

__all__ = [
    "GUILD_GRACE_PERIOD",
    "OptOutSwitch",
    "PrivacyService",
    "PurgeReport",
    "RegistryError",
    "personal_tables",
    "validate",
]
