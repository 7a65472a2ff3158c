"""Weekly rituals (issue #6): recurring posts with a thread for the answers.

- `presets`: the four presets; `options`: parsing and validating admin input;
- `schedule`: a ritual row's schedule as a `bot.scheduling` rule;
- `service`: add / edit / pause / resume / remove; `questions`: the weekly-question list;
- `runner`: the scheduler's job kind (budget, rotation, refused posts);
- `discord_io`: posting, admin notices, permission checks, the ping-role button;
- `engagement`: answers, participants, first-timers per occurrence, and "ritual fading";
- `role_changes`: ping-role opt-in/opt-out counts; `render` and `chart`: what admins read;
- `demo`: the `foyer demo` steps.

See docs/rituals.md.
"""
