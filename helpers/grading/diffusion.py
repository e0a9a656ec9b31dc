"""Auto-graded questions for the diffusion exercises."""

QUESTIONS = []
