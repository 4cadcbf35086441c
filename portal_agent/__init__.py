"""The composition root: the ``portal-agent`` command wires settings, the agent, its tool families
and the connectors together. Nothing imports this package."""
