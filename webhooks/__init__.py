"""Webhooks: Chronicle pushes events to other systems (docs/architecture.md, "Webhooks")."""
