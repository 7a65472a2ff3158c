"""Member spotlights: who to thank publicly, ranked by contribution, and the posts."""
