"""The browser GUI (``hark gui``): a Bokeh server, one session per page.

- :mod:`hark.gui.server`: settings, safety (address, token) and the server;
- :mod:`hark.gui.session`: one page's state; its tabs are the context window
  (:mod:`~hark.gui.recording_view`, :mod:`~hark.gui.annotate`), the cluster view
  (:mod:`~hark.gui.cluster_view`) and the actions (:mod:`~hark.gui.actions_view`);
- pieces without a browser, tested as such: :mod:`~hark.gui.paths` (the data folder, the
  one path check), :mod:`~hark.gui.signal` (what a redraw computes), :mod:`~hark.gui.loaded`,
  :mod:`~hark.gui.forms` and :mod:`~hark.gui.actions` (forms from parameter models, jobs),
  :mod:`~hark.gui.jobqueue` and :mod:`~hark.gui.memory`.

Edits go through :class:`hark.annotations.edits.AnnotationEditor`; actions through
:mod:`hark.jobs`: the GUI has no logic of its own that the command line lacks.
Nothing here is imported by ``import hark``: Bokeh loads only when ``hark gui`` runs.
"""
