# %% [markdown]
# # Write your own policy, check it, benchmark it against the catalogue
#
# A script in "percent" format, like `docs/tutorial.py`: run it with
# `python docs/own_policy.py`, or open it as a notebook. CI runs it. It starts from an empty
# file and ends with a paired comparison against first come, first served, on the same
# customers. Everything it writes goes under `own-policy-output/` in the directory you run
# it from.
#
# A policy is a small class with one decision method. The five kinds, each a base class in
# `sim/policies/base.py` whose methods are every hook you may override:
#
# | base class | decides | hooks |
# |---|---|---|
# | `Routing` | which waiting contact an agent with room takes | `next_contact`, or `candidates` + `key` |
# | `AgentSelection` | which agent with room gets a contact | `choose` |
# | `Organisation` | how the configured pools are organised | `organise` |
# | `Staffing` | agents per pool per interval | `agents`, `review_min` |
# | `EscalationPolicy` | where a handled contact's journey goes next | `after_service`, `organise` |
#
# The engine asks a routing policy only about agents with room, and checks what it returns:
# a contact the agent may not take (no skill, no room, an overflow delay not yet passed)
# stops the run with a `ContractError` naming the policy and the rule.

# %%
import sys
import textwrap
from pathlib import Path

OUT = Path("own-policy-output")
OUT.mkdir(exist_ok=True)
sys.path.insert(0, str(OUT))  # where my_policies.py lives: importable by name

# %% [markdown]
# ## 1. An empty file

# %%
module = OUT / "my_policies.py"
module.write_text("")

# %% [markdown]
# ## 2. The policy: answer the loudest public complaint first
#
# Unanswered public complaints draw pile-ons in proportion to their author's reach. A rule a
# social team might try: within each queue, take the post with the most followers first
# (ties, and private channels, where reach is 0: first come, first served). Two hooks:
# `candidates` (the contacts to compare: the whole queue, not just its head) and `key` (the
# smallest is served first). `self.model` is the running model: `self.model.queue(channel,
# agent)` yields the contacts of a queue that this agent may take now.

# %%
module.write_text(textwrap.dedent('''
    """My routing policies."""

    from sim.policies.base import Routing


    class LoudestFirst(Routing):
        """Within each queue, the largest audience first; then first come, first served."""

        def candidates(self, agent, channel):
            return self.model.queue(channel, agent)

        def key(self, contact, agent):
            return (-contact.reach, contact.arrival_min)
'''))

# %% [markdown]
# ## 3. Check it before trusting it
#
# `check_policy` runs the policy through the scenario shapes where policies break — one
# pool per channel and pools serving several, overflow delays, a tier-2 queue, reactive
# staffing, threads, the one-channel teaching scenario — in this process and in another
# (whose memory layout differs), and reports contract violations, crashes, broken
# invariants and results that differ with the same seed. Three shapes keep this quick;
# leave `shapes` out for all nine.

# %%
from sim.policies import check_policy

report = check_policy("my_policies.LoudestFirst", shapes=["silos", "overflow", "threads"])
print(report)
assert report.ok, report

# %% [markdown]
# ## 4. Benchmark it against first come, first served, on the same customers
#
# Same seed, same customers (common random numbers): per replication, the difference
# between the two policies is the policy's effect, not luck. `api.compare` pairs the runs
# replication by replication and gives each metric's difference with its 95% interval.

# %%
from sim import api

BASE = ["run.horizon=3d", "run.replications=4", "seed=3"]
fcfs = api.run(*BASE, "routing=siloed")
loud = api.run(*BASE, "routing._target_=my_policies.LoudestFirst")
api.save(fcfs, OUT / "fcfs")
api.save(loud, OUT / "loudest_first")
paired = api.compare(OUT / "fcfs", OUT / "loudest_first")["paired"]
rows = paired[(paired["channel"] == "twitter")
              & paired["metric"].isin(["public_exposure", "pileons_per_complaint",
                                       "service_level", "mean_wait_min"])]
print(rows[["metric", "baseline_mean", "policy_mean", "diff", "ci_low", "ci_high",
            "significant_holm"]].to_string(index=False))
exposure = rows[rows["metric"] == "public_exposure"].iloc[0]
print(f"\nTwitter public exposure: {exposure['baseline_mean']:,.0f} -> "
      f"{exposure['policy_mean']:,.0f} follower-minutes per post, paired difference "
      f"{exposure['diff']:,.0f} [{exposure['ci_low']:,.0f}, {exposure['ci_high']:,.0f}]")

# %% [markdown]
# The table answers the question with its uncertainty: what answering the loudest first
# does to Twitter's public exposure (followers x minutes unanswered), pile-ons, waits and
# service level, on the same customers; `significant_holm` says which differences survive
# the correction for testing many metrics at once. From a shell, the same policy runs like
# a built-in from the directory that holds `my_policies.py`:
#
# ```bash
# python -m sim routing._target_=my_policies.LoudestFirst
# python -m sim.policies.check my_policies.LoudestFirst      # all nine shapes
# ```
