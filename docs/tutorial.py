# %% [markdown]
# # CareQueue from Python: a tutorial
#
# This tutorial is a plain Python script in "percent" format: run it top to bottom with
# `python docs/tutorial.py`, or open it in Jupyter/VS Code as a notebook (each `# %%` is a
# cell; `jupytext --to notebook docs/tutorial.py` makes an .ipynb). CI runs it, so it stays
# true. It writes its figures and results under `tutorial-output/` in the directory you run
# it from.
#
# `sim.api` does what the command line does, and hands back the tables as pandas DataFrames:
#
# | function | does |
# |---|---|
# | `api.run(*overrides)` | simulate, as `python -m sim *overrides` would |
# | `api.metric(results, name, channel)` | one row of the summary: mean, CI, n |
# | `api.save(results, dir)` / `api.load(dir)` | write / read a results directory |
# | `api.compare(*dirs)` | compare results directories: the table and the paired differences |

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; in Jupyter, leave this out
from matplotlib.figure import Figure

from sim import api, erlang, plots

OUT = Path("tutorial-output")
OUT.mkdir(exist_ok=True)

# %% [markdown]
# ## 1. Run the default study (shortened)
#
# The default study is a week of a mid-size operation with six channels. Two days and three
# replications keep this quick; every key of `conf/` can be overridden the same way.

# %%
siloed = api.run("routing=siloed", "run.horizon=2d", "run.replications=3")
print(siloed.summary.query("metric == 'service_level'")[["channel", "mean", "ci_low", "ci_high"]])

# %% [markdown]
# The contacts table has one row per contact: when it arrived, when it was first answered,
# whether the customer was dissatisfied and why, pile-ons caused, public exposure...

# %%
c = siloed.contacts
print(c.groupby("channel", observed=True)[["answered", "dissatisfied"]].mean().round(3))
print(c["origin"].value_counts())

# %% [markdown]
# ## 2. Compare two policies on the same customers
#
# Both runs use the same seed, so they see the same customers (common random numbers): the
# paired difference per replication is much less noisy than two independent runs would be.

# %%
unified = api.run("routing=unified_text", "run.horizon=2d", "run.replications=3")
for name, res in (("siloed", siloed), ("unified_text", unified)):
    m = api.metric(res, "service_level", "twitter")
    print(f"{name:13s} twitter service level {m['mean']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]")

# %% [markdown]
# Saved as results directories, the two runs can be compared like the jobs of a sweep:
# `api.compare` gives the comparison table and the paired differences with their CIs.
# `significant` is one row's own test; `significant_holm` holds across the dozens of
# metrics and channels compared at once (Holm's correction), the one to quote.

# %%
api.save(siloed, OUT / "siloed")
api.save(unified, OUT / "unified_text")
compared = api.compare(OUT / "siloed", OUT / "unified_text")
table = compared["comparison"]
print(table[(table["channel"] == "all") & (table["metric"] == "service_level")]
      [["job", "routing", "mean", "ci_low", "ci_high"]])
paired = compared["paired"]
cols = ["channel", "metric", "diff", "ci_low", "ci_high", "unpaired_ci_low",
        "unpaired_ci_high", "better", "significant", "significant_holm"]
print(paired[paired["metric"].isin(["service_level", "dissatisfaction_rate",
                                    "pileons_per_complaint"])][cols].to_string(index=False))

# %% [markdown]
# ## 3. Figures from tables
#
# `sim.plots` draws from the tables alone: the first-response-time distribution per
# channel, dissatisfaction by cause.

# %%
plots.frt_cdf(unified.contacts).savefig(OUT / "frt_cdf.png", dpi=80)
plots.dissatisfaction_by_cause(unified.contacts).savefig(OUT / "dissatisfaction.png", dpi=80)

# %% [markdown]
# ## 4. Theory check: the Erlang C queue
#
# `scenario=erlang` is the textbook M/M/c queue. Simulated, its service level must agree
# with the Erlang C formula within the confidence interval.

# %%
agents = [11, 12, 13, 14]
simulated, theory = [], []
for n in agents:
    res = api.run("scenario=erlang", f"scenario.agents={n}", "run.horizon=5d",
                  "run.warmup=1d", "run.replications=4")
    simulated.append(api.metric(res, "service_level", "phone"))
    # The scenario's defaults: 100 calls/h (100/60 a minute) of 6 min, target 20 s.
    theory.append(erlang.erlang_c_metrics(100 / 60, 6.0, n, 20 / 60).service_level)

fig = Figure(figsize=(6, 4), layout="constrained")
ax = fig.add_subplot()
ax.errorbar(agents, [s["mean"] for s in simulated],
            yerr=[[s["mean"] - s["ci_low"] for s in simulated],
                  [s["ci_high"] - s["mean"] for s in simulated]], fmt="o", label="simulated (95% CI)")
ax.plot(agents, theory, "-", label="Erlang C")
ax.set_xlabel("agents")
ax.set_ylabel("service level (answered within 20 s)")
ax.legend()
fig.savefig(OUT / "erlang_c.png", dpi=80)
for n, s, t in zip(agents, simulated, theory):
    print(f"{n} agents: simulated {s['mean']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}], Erlang C {t:.3f}")
