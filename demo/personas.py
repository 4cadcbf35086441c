"""The demo people a visitor of ``make run``'s web page may "try as" (see connectors/web/demo_people.py).

One who asks for changes, one who may approve them for checkout, one admin: enough to walk through a
request, its four-eyes rule and its approval. Only ever offered with the demo organisation.
"""

PERSONAS: tuple[tuple[str, str], ...] = (
    ("user:default/tomas.novak", "Tomas Novak — requester, a checkout engineer"),
    ("user:default/marco.bianchi", "Marco Bianchi — checkout's on-call, may approve its changes"),
    ("user:default/sam.oconnor", "Sam O'Connor — platform admin, may approve anything"),
)
