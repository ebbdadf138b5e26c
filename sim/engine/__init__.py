"""The simpy model of a care operation, in parts: the only package that imports simpy.

- :mod:`~sim.engine.model` — one replication: the contact lifecycle, staffing reviews, and
  what policies see (:class:`Model`).
- :mod:`~sim.engine.contacts` — contacts in the system and the table of their attributes.
- :mod:`~sim.engine.workforce` — agents, pools, room per channel, shift changes.
- :mod:`~sim.engine.dispatch` — queues, eligibility, the routing and agent-selection calls.
- :mod:`~sim.engine.service` — replies in progress, processor sharing, threads.
- :mod:`~sim.engine.followups` — retrials, switches and what they carry over (pure).
- :mod:`~sim.engine.recorder` — finished contacts and segments, streamed in chunks.
- :mod:`~sim.engine.clock` — the simpy environment and the engine's one kind of event.

Design for speed: every exogenous attribute is drawn up front (:mod:`sim.customers`); every
event is a plain callback (no simpy process per customer); queues drop contacts that left
lazily; a contact exists only while it is in the system.
"""

from .contacts import STATES, Contact
from .model import Model, PolicyError
from .recorder import RecordSink

__all__ = ["STATES", "Contact", "Model", "PolicyError", "RecordSink"]
