"""Is an utterance asking for something to be done, or asking about it?

Only an imperative ask may request a change: "restart checkout", "please restart checkout",
"can you restart checkout?" and "I need a new docs site called x" are requests; "should I restart
checkout?", "what happens if I scale checkout to 0?", "who can approve a restart?", "how do I
restart it?", "did the restart happen?" and "don't restart it" are not. The offline planner asks
this before it emits any mutating tool call (agent/planner/model.py), so that an intent matching
the words of a change never turns a question about that change into a request for it.

The classifier reads the grammatical form of each sentence, not its topic: the intents already
know what the ask is about. A sentence is a request unless its form marks it as a question, a
conditional or hypothetical, a suggestion, a prohibition or a report of the past; an utterance is
a request when at least one of its sentences is (so "checkout is down. restart it" is one).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Mood(StrEnum):
    IMPERATIVE = "imperative"  # a request: "restart checkout", "can you restart checkout?"
    QUESTION = "question"  # "should I restart checkout?", "who can approve a restart?"
    CONDITIONAL = "conditional"  # "what happens if I scale it to 0?", "suppose we restart it"
    SUGGESTION = "suggestion"  # "we should restart it", "how about a restart"
    PROHIBITION = "prohibition"  # "don't restart checkout"
    REPORT = "report"  # "I restarted checkout an hour ago"


WH = r"what|what's|whats|who|who's|whom|whose|which|when|where|why|how|how's"
# Modal and auxiliary verbs that open a yes/no question ("should I…", "did the restart happen?").
AUX = (
    r"is|are|am|was|were|isn't|aren't|wasn't|weren't|does|did|doesn't|didn't|has|hasn't|hadn't|"
    r"can|could|may|might|shall|should|will|would|must|can't|couldn't|shouldn't|won't|wouldn't"
)
# "do" and "have" also start imperatives ("do a rolling restart", "have checkout restarted").
DO_HAVE = r"do|have|had|don't|haven't"
SUBJECT = r"i|you|u|we|they|he|she|it|someone|somebody|anyone|anybody|everyone|people|one|there"
DETERMINER = r"the|a|an|this|that|these|those|my|our|your|their|its|his|her|some|any|every|each|no"
FILLERS = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|ok so|so|now|then|and|also|um|uh|well|alright|right|yes|yeah|yep|sure|"
    r"great|thanks|thank you|cool|just|quick question|question|btw|one more thing|or)\b[\s,:;!-]*"
    r"|<@[^>]+>[\s,:]*|@[\w.-]+[\s,:]*|portal(?:-agent)?\b[\s,:]+)+",
    re.I,
)
POLITE = re.compile(r"^(?:please|pls|plz|kindly|go ahead and|go ahead|do me a favou?r and)\b[\s,]*", re.I)
POLITE_ANYWHERE = re.compile(r"\b(?:please|pls|plz|kindly)\b", re.I)
# "can you…", "would you mind…": a request addressed to the assistant; the rest is read again.
ASK_YOU = re.compile(
    r"^(?:can|could|would|will|can't|won't|wouldn't)\s+(?:you|u|ya)\b(?:\s+(?:please|kindly|just|mind))?[\s,]*",
    re.I,
)
# "tell me what…", "explain…", "I want to know…": the ask is for an explanation.
EXPLAIN = re.compile(
    r"^(?:tell me|explain|describe|remind me|let me know|clarify|help me understand|"
    r"i(?: want| need| would like|'d like| wanna) to (?:know|understand|learn|find out|ask|check whether|see whether)|"
    r"i(?:'m| am)? (?:wonder(?:ing)?|curious|not sure|unsure)|do you know|any idea|any ideas|no idea)\b",
    re.I,
)
CONDITIONAL = re.compile(
    r"^(?:if|what if|suppose|supposing|imagine|hypothetically|assuming|assume|in case|say we|say i|"
    r"were (?:i|we) to|in theory|theoretically|whether)\b",
    re.I,
)
CONDITIONAL_ANYWHERE = re.compile(
    r"\b(?:what (?:would|will|could) happen|what happens (?:if|when)|what if|would it be (?:safe|ok|okay|wise)|"
    r"hypothetical(?:ly)?|in theory)\b",
    re.I,
)
PROHIBITION = re.compile(
    r"^(?:don't|dont|do not|never|no need to|not|avoid|hold off on|hold off)\b|^no(?=\s+\w)",
    re.I,
)
WANT = re.compile(
    r"^(?:i|we)\s+(?:want|need|would like|'d like|wanna|have to|got to|gotta|must)\b"
    r"|^(?:i'd|we'd) like\b|^(?:let's|lets|let us)\b|^(?:time to)\b",
    re.I,
)
SUGGESTION = re.compile(
    r"^(?:how about|what about|maybe|perhaps|probably|i think|i guess|i suppose|i believe|i feel|"
    r"(?:i|we|you|someone|somebody)\s+(?:should|could|might|may|ought to)|it (?:might|may|could) be (?:worth|good))\b",
    re.I,
)
# "I restarted checkout", "the restart happened", "checkout was rolled back": the past, not an ask.
REPORT = re.compile(
    rf"^(?:(?:{SUBJECT})|(?:{DETERMINER})\s+[\w-]+)\s+(?:already\s+|just\s+|recently\s+)?(?:\w+ed|rolled back)\b"
    r"|^[\w-]+(?:\s+[\w-]+)?\s+(?:was|were|has been|have been|got)\s+(?:already\s+|just\s+)?(?:\w+ed|rolled back)\b",
    re.I,
)
SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")


def mood_of(utterance: str) -> Mood:
    """The mood of the utterance: imperative if any sentence is a request, else the first sentence's."""
    moods = [_sentence_mood(s) for s in _sentences(utterance)]
    if not moods or Mood.IMPERATIVE in moods:
        return Mood.IMPERATIVE
    return moods[0]


def requests_change(utterance: str) -> bool:
    return mood_of(utterance) is Mood.IMPERATIVE


def _sentences(text: str) -> list[str]:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return [s.strip() for s in SENTENCES.split(text) if s.strip(" \t.!?;,")]


def _sentence_mood(sentence: str) -> Mood:
    asked = sentence.rstrip().endswith("?")
    polite = bool(POLITE_ANYWHERE.search(sentence))
    text = _strip(FILLERS, sentence.strip().lower())
    if POLITE.match(text):
        polite, text = True, _strip(POLITE, text)
    if PROHIBITION.match(text):
        return Mood.PROHIBITION
    if ASK_YOU.match(text):  # "can you restart checkout?": what follows is the request itself
        rest = _strip(ASK_YOU, text)
        return Mood.IMPERATIVE if not rest else _form(rest, asked=False, polite=True)
    return _form(text, asked=asked, polite=polite)


def _form(text: str, *, asked: bool, polite: bool) -> Mood:
    text = _strip(POLITE, _strip(FILLERS, text))
    first = text.split(" ", 1)[0].strip(",:;") if text else ""
    if PROHIBITION.match(text):
        return Mood.PROHIBITION
    if EXPLAIN.match(text):
        return Mood.QUESTION
    if CONDITIONAL.match(text) or CONDITIONAL_ANYWHERE.search(text):
        return Mood.CONDITIONAL
    if SUGGESTION.match(text):  # before the wh-words: "how about a restart"
        return Mood.SUGGESTION
    if re.fullmatch(WH, first):
        return Mood.QUESTION
    if re.fullmatch(AUX, first):
        return Mood.QUESTION
    if re.fullmatch(DO_HAVE, first):
        second = text.split()[1] if len(text.split()) > 1 else ""
        return Mood.QUESTION if asked or re.fullmatch(SUBJECT, second) else Mood.IMPERATIVE
    if WANT.match(text):
        return Mood.IMPERATIVE
    if REPORT.match(text):
        return Mood.REPORT
    if re.fullmatch(SUBJECT, first) or re.fullmatch(DETERMINER, first):
        return Mood.QUESTION if asked and not polite else Mood.IMPERATIVE
    # Verb first (or a bare name answering the assistant's question): an imperative, unless it is
    # asked back as a question ("restart checkout?"), which wants a confirmation, not a change.
    return Mood.QUESTION if asked and not polite else Mood.IMPERATIVE


def _strip(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub("", text, count=1).strip()
