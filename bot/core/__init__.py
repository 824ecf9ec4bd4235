"""Types shared by every layer: the answer Rapport gives, and the plan a draft is written from."""
