"""Weekly rituals (issue #6): recurring posts with a thread for the answers.

- `presets`: the four presets; `options`: the `/ritual` options, parsed and validated;
- `schedule`: a ritual row's schedule as a `bot.scheduling` rule;
- `service`: add / edit / pause / resume / remove, role-change counts (no discord.py);
- `questions`: the weekly-question list;
- `runner`: the scheduler's job kind (budget, rotation, refused posts); `job`: its
  registration and what commands ask of the scheduler;
- `discord_io`: posting, admin notices, permission checks, the ping-role button;
- `engagement`: answers, participants, first-timers per occurrence, and "ritual fading";
- `role_changes`: ping-role opt-in/opt-out counts; `render` and `chart`: what admins read.

The `foyer demo` steps are in `demo/steps/rituals.py`. See docs/rituals.md.
"""
