"""The approval gate in front of every call that changes something.

``policy`` (requests, decisions and who may approve them), ``store`` (where each request stands,
claimed move by move), ``claims`` (which process holds a claim, and whether it still runs),
``expiry`` (closing requests nobody decided) and ``gate`` (:class:`agent.gate.gate.Gate`, the one
object the graph and the service ask every approval question).
"""
