"""Assessment: assessor and IQA decisions on evidence, the review queue and progress per unit."""
