"""Welcome threads: each newcomer gets a place to introduce themself, and members answer.

The standard rooms (see docs/architecture.md):
- `service.WelcomeService`: the flow's rules: setup, joins (queued, recorded, shared in
  bursts), tracking; no discord.py: it drives `WelcomeDiscord` with ids.
- `discord_io.DiscordWelcome`: the calls to Discord: threads (own or shared), paced and
  checked, greeters added, the welcome posted, the nudge sent, the admins told.
- `render`: the texts a welcome posts and shows, and whom each may ping.
- `job`: the nudge loop's work: the single reminder to greeters.
- `store`: the SQL of the welcome tables.
Rules beside them, pure or discord-free: `config` (what `/welcome setup` accepts),
`problems` (refusals stop the batch and reach the admins once), `pacing` (burst detection
and per-guild pacing), `tracking` (how a message updates the welcome rows), `funnel` (the
newcomer funnel for `/health`: `newcomer_funnel(db, guild_id, start, end)`).
See docs/welcome.md.
"""
