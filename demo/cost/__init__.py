"""The demo organisation's cost data, generated from ``spend.yaml``: FOCUS exports and an OpenCost."""
