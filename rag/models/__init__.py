"""The model seams: chat models and embedders, prompts, token usage, and the local model files and their cache."""
