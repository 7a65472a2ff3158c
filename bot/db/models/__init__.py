"""All tables. Importing this package registers every model on `Base.metadata`, which
Alembic compares against the migrations. Each feature keeps its tables in its own module."""

from bot.db.base import Base
from bot.db.models.access import GuildManagerRole
from bot.db.models.activity import (
    ActivityEvent,
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    Member,
    TrackedThread,
    wrote_that_day,
)
from bot.db.models.digest import DigestSettings
from bot.db.models.guild import GuildSettings, GuildStaffRole, GuildText
from bot.db.models.health import HealthMemberSpan, HealthMemberWeek, HealthSpan, HealthWeek
from bot.db.models.moderation import (
    ModerationCount,
    ModerationEntry,
    ModerationKind,
    ModerationWatch,
)
from bot.db.models.peers import (
    BuddyConfig,
    BuddyMatch,
    BuddyRequest,
    BuddyTopicRole,
    BuddyVolunteer,
    BuddyVolunteerTopic,
    IntrosConfig,
    IntrosMember,
    IntrosPair,
    IntrosPairMember,
    IntrosRound,
)
from bot.db.models.recognition import (
    Spotlight,
    SpotlightConfig,
    SpotlightRefusal,
    Survey,
    SurveyAnswer,
)
from bot.db.models.rituals import Ritual, RitualQuestion, RitualRoleChanges
from bot.db.models.scheduling import BotPost, RunStatus, ScheduledRun
from bot.db.models.state import BotState
from bot.db.models.welcome import Welcome, WelcomeConfig

__all__ = [
    "ActivityEvent",
    "Base",
    "BotPost",
    "BotState",
    "BuddyConfig",
    "BuddyMatch",
    "BuddyRequest",
    "BuddyTopicRole",
    "BuddyVolunteer",
    "BuddyVolunteerTopic",
    "DailyChannelActivity",
    "DailyGuildActivity",
    "DailyMemberActivity",
    "DigestSettings",
    "GuildManagerRole",
    "GuildSettings",
    "GuildStaffRole",
    "GuildText",
    "HealthMemberSpan",
    "HealthMemberWeek",
    "HealthSpan",
    "HealthWeek",
    "IntrosConfig",
    "IntrosMember",
    "IntrosPair",
    "IntrosPairMember",
    "IntrosRound",
    "Member",
    "ModerationCount",
    "ModerationEntry",
    "ModerationKind",
    "ModerationWatch",
    "Ritual",
    "RitualQuestion",
    "RitualRoleChanges",
    "RunStatus",
    "ScheduledRun",
    "Spotlight",
    "SpotlightConfig",
    "SpotlightRefusal",
    "Survey",
    "SurveyAnswer",
    "TrackedThread",
    "Welcome",
    "WelcomeConfig",
    "wrote_that_day",
]
