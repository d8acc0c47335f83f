"""moderator: a self-hosted moderation assistant for comment sections."""

__version__ = "0.1.0"
