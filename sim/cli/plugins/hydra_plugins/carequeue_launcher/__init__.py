"""CareQueue's Hydra launcher plugin: submitit's launchers with jobs grouped into chunks.

Hydra finds launchers only in the ``hydra_plugins`` namespace package, so the classes live
here; the logic is in :mod:`.chunked`.
"""
