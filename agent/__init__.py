"""The ticket agent: durable pipeline, tools, policies, prompts and Activity."""
