"""Pure functions Conversation → Conversation: roles, language, sentences."""
