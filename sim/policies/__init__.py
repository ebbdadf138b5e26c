"""Routing, escalation and staffing policies: the strategies CareQueue compares.

Each policy is a small class with one decision method, built from config (``_target_``)
and bound to the running model afterwards. The built-ins here use exactly the protocols in
:mod:`sim.policies.base`; a user's own policy is a class in the user's own module with the
same methods, named by ``_target_`` in config.
"""
