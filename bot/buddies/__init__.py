"""Buddies: a volunteer member for each newcomer who asks for one (issue 18)."""
