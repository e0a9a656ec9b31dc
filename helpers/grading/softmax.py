"""Auto-graded questions for the softmax exercises."""

QUESTIONS = []
