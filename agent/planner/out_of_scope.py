"""Asks the offline planner must not try to answer: it routes them to an honest "needs an LLM" reply.

These are categories, not the eval's phrasings: creative writing, jokes, translation, general
knowledge, weather and news, arithmetic, personal advice, chit-chat. Without this negative class
the nearest intent would always win, however far away it is.
"""

from __future__ import annotations

# Strong signals of such asks, used like an intent's patterns.
PATTERNS = (
    r"^\s*(please\s+)?(write|compose|make up|tell)\s+(me\s+)?(a|an|some)\s+"
    r"(poem|haiku|song|story|joke|limerick|pun|riddle)",
    r"\btranslate\b",
    r"\b(weather|forecast for tomorrow|rain today)\b",
    r"\bmeaning of life\b",
    r"\b(draft|write|compose)\b.*\b(email|e-mail|post-?mortem|letter|message|announcement|blog|essay|speech)\b",
    r"\bin general\b.*\b(should|better|pick|choose)\b",
)

EXAMPLES = (
    "write a poem about spring",
    "write a haiku about deployments",
    "compose a song for the team offsite",
    "write a story about a dragon",
    "make up a limerick about databases",
    "tell me a joke",
    "tell me something funny",
    "say a pun about kubernetes",
    "translate this sentence to french",
    "how do you say good morning in spanish",
    "what is the capital of australia",
    "who won the world cup",
    "who was the first president of the united states",
    "what's the forecast for tomorrow in london",
    "is it going to rain this afternoon",
    "what's in the news today",
    "what is 17 times 23",
    "solve this equation for x",
    "should I take the job offer",
    "how are you feeling today",
    "what's your favourite colour",
    "explain quantum physics to me",
    "what is the purpose of existence",
    "recommend a good movie",
    "summarize the history of rome",
    "draft an email to my landlord",
)
