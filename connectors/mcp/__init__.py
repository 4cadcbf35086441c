"""portal-agent over the Model Context Protocol: its tools for any MCP client (stdio and HTTP)."""
