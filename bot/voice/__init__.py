"""The guild's voice: how Foyer's French speaks (tu or vous, inclusive writing) and the
member-facing texts its admins write in place of Foyer's own (`/setup voice`, `/setup text`).

The voice itself travels with the language (`bot.i18n.Voice`, built by
`bot.guilds.GuildSettingsService.language`); this package holds what may be replaced, the
rules a replacement must follow, and its SQL.
"""
