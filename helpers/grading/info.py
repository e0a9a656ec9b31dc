"""Auto-graded questions for the info exercises."""

QUESTIONS = []
