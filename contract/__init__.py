"""The contract between the agent and its tool families: everything a family may import from outside itself.

A family (``tools/<family>/``) depends on this package and on nothing else of the agent: the tool
contract and its results (``tooling``), the planner-intent contract (``intents``), the principal
(``principal``), the settings (``settings``), the runtime a family is handed (``runtime``), the
catalog lookups the agent needs from whichever family provides the catalog (``catalog``), token
counting (``tokens``), the shared embedding model (``embeddings``) and private files
(``private_files``). ``make lint`` checks that layering with import-linter.
"""
