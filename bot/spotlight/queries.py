"""What other packages read of spotlights: /health's Advocacy figures (docs/recognition.md).

The queries live in `bot.spotlight.store`; this module is the narrow surface
`bot.metrics` depends on, so the store can change without touching /health.
"""

from bot.spotlight.store import SpotlightEffects, spotlight_effects

__all__ = ["SpotlightEffects", "spotlight_effects"]
