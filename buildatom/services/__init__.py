"""Orchestration between the web layer and the stores: one module per feature."""
