"""Language-model drafting through any OpenAI-compatible endpoint."""
