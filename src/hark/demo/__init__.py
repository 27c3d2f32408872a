"""Synthetic but realistic recordings with known answers, for ``make demo`` and for tests.

Three species, each a pure synthesis function (samples and ground-truth events, nothing
written) and a generator that writes a SongExplorer ground-truth folder (16-bit WAVs with
``<name>.wav-annotated-demo.csv`` beside each):

==========  =========  ==========================================  ===========================
species     rate       sounds                                      ground truth
==========  =========  ==========================================  ===========================
fly         2500 Hz    pulse trains (~200 Hz, 35 ms apart), sine   ``mel-pulse`` points,
                       song (~150 Hz), pink noise and hum          ``mel-sine`` / ``ambient``
                                                                   ranges
usv         250 kHz    40-100 kHz whistles and sweeps, hiss and    ``usv`` ranges with
                       a loud rumble below 5 kHz                   ``low_hz`` / ``high_hz``
whale       2000 Hz    2 s clips, half with a 50-250 Hz upcall,    one ``upcall`` or ``noise``
                       all with untidy ocean noise                 event per clip
==========  =========  ==========================================  ===========================

Everything is determined by a seed (or a :class:`numpy.random.Generator`) and takes
seconds. The sounds' character is set by pydantic parameter models, e.g.
``FlySongParams(pulse_ipi_ms=40)``. See ``docs/demo.md``.

>>> samples, events = synthesize_fly(duration_s=10.0, rng=0)
>>> recordings = generate_fly("demo/fly", n_recordings=2, seed=0)
>>> generate_all("demo-output", seed=0)        # fly/, usv/, whale/
"""

from hark.demo.fly import AMBIENT_LABEL, FLY_SAMPLERATE, PULSE_LABEL, SINE_LABEL, FlySongParams, synthesize_fly
from hark.demo.generate import (
    CSV_SUFFIX,
    DemoRecording,
    generate_all,
    generate_fly,
    generate_usv,
    generate_whale,
    write_demo_csv,
    write_wav,
)
from hark.demo.signals import robust_scale
from hark.demo.usv import USV_LABEL, USV_SAMPLERATE, UsvParams, synthesize_usv
from hark.demo.whale import NOISE_LABEL, UPCALL_LABEL, WHALE_SAMPLERATE, WhaleParams, synthesize_whale_clip

__all__ = [
    "AMBIENT_LABEL",
    "CSV_SUFFIX",
    "FLY_SAMPLERATE",
    "NOISE_LABEL",
    "PULSE_LABEL",
    "SINE_LABEL",
    "UPCALL_LABEL",
    "USV_LABEL",
    "USV_SAMPLERATE",
    "WHALE_SAMPLERATE",
    "DemoRecording",
    "FlySongParams",
    "UsvParams",
    "WhaleParams",
    "generate_all",
    "generate_fly",
    "generate_usv",
    "generate_whale",
    "robust_scale",
    "synthesize_fly",
    "synthesize_usv",
    "synthesize_whale_clip",
    "write_demo_csv",
    "write_wav",
]
