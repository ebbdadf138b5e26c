"""The teaching lab's interactive page: ``python -m sim.app`` (the ``app`` extra: Dash).

:mod:`sim.app.lab` holds the models and numbers (no web framework), :mod:`sim.app.figures`
the plotly figures, :mod:`sim.app.page` the Dash components and callbacks. docs/teaching.md
says why Dash and how a class uses the page.
"""
