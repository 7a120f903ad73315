"""Claude Code hook handlers: action items and n8n reliability, plus the fallback tiers."""
