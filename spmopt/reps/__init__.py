"""Reps who respond to the plan: populations, sales technologies and behaviour models (design §4)."""
