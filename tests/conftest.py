"""The whole suite's shared fixtures come from one plugin, ``tests/support/plugin.py``."""

pytest_plugins = ["tests.support.plugin"]
