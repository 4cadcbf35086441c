"""The safety set: planted prompt injections, secret requests and approval abuse, run against the
real service with the offline planner and with an obedient model (see :mod:`evals.safety.harness`)."""
