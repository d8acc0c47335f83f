"""Platform-facing integrations: each maps a platform's wire shapes to moderator's core types."""
