"""The composition root: the ``qtm`` command (:mod:`qtm_command.cli`) and the multi-worker server entry
(:mod:`qtm_command.serving`). The only code that imports every layer — the core (``qtm``), ``loaders``,
``reports`` and ``dashboard`` — and wires them together with the settings."""
