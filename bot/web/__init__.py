"""`foyer web`: the read-only dashboard for the community team, a process of its own beside
the bot (same database, same settings). One room on top of `bot.metrics`: it shows what
`/health` and `foyer report` compute (`bot.metrics.summary.build_report`, the CSV and JSON
of `bot.metrics.report`), never a second computation.

- `app.py`: the aiohttp application and its routes (GETs only, plus the logout form);
- `auth.py`: Discord OAuth2 login (state checked once), signed session cookies;
- `discord_api.py`: the calls to Discord (token, the user, their guilds, a member's roles);
- `gate.py`: who may see which guild (`bot.access`, checked against Discord, cached);
- `pages.py` and `charts.py`: the page's content and its server-side SVG charts;
- `templates/` and `static/`: Jinja2 templates and the stylesheet, shipped in the package.
"""
