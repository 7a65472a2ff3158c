"""Welcome threads: each newcomer gets a place to introduce themself, and members answer.

- `config`: what `/welcome setup` accepts (validation, thread kind, default template).
- `service.WelcomeService`: joins (queued, paced, shared in bursts), tracking, nudges.
- `pacing`: burst detection and per-guild pacing, pure.
- `tracking`: how a message in a welcome thread updates the welcome rows, pure.
- `funnel`: the newcomer funnel for `/health`: `newcomer_funnel(db, guild_id, start, end)`.
See docs/welcome.md.
"""
