"""A local Kubernetes API stand-in (HTTP, loopback) serving the demo cluster; also used by the tests."""
