"""Welcome threads: each newcomer gets a place to introduce themself, and members answer.

- `config`: what `/welcome setup` accepts (validation, thread kind, default template).
- `service.WelcomeService`: the flow: setup, joins (queued, recorded), tracking, nudges.
- `discord_io.ThreadOpener`: opening threads on Discord (own or shared), paced and checked.
- `problems.ProblemReporter`: refusals stop the batch and reach the admins once.
- `pacing`: burst detection and per-guild pacing, pure.
- `tracking`: how a message in a welcome thread updates the welcome rows, pure.
- `job`: the single reminder to greeters (the nudge loop's work).
- `render`: the texts a welcome posts, and whom each may ping.
- `funnel`: the newcomer funnel for `/health`: `newcomer_funnel(db, guild_id, start, end)`.
See docs/welcome.md.
"""
