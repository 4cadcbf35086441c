"""Everything the tests share: helpers, stand-ins and data locations, one module per area, plus
``plugin`` (the fixtures every package may use, registered by ``tests/conftest.py``).

Tests import shared code from here only, never from another package's conftest or test module
(``tests/test_layout.py`` checks it)."""
