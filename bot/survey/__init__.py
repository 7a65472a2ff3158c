"""The recommendation survey (NPS): opening, answers, closing and results."""
