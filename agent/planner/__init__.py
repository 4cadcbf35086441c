"""The offline planner: a LangChain chat model that plans tool calls from registered intents."""
