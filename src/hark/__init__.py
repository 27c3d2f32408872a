"""hark: from raw recordings of animals to quantified detections of the sounds you care about.

The library is organised by pipeline stage, one subpackage each:

- :mod:`hark.audio` reads recordings (any sample rate, slices, chunked streams, reader plugins);
- :mod:`hark.annotations` holds the event model and SongExplorer / Raven / Audacity formats;
- :mod:`hark.detect` finds candidate sounds with time and frequency thresholds;
- :mod:`hark.demo` generates synthetic recordings with known answers;
- :mod:`hark.cli` is the ``hark`` command line, a thin layer over the functions above.
"""

__version__ = "0.1.0"
