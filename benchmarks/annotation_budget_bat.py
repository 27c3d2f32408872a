"""The ``bat`` data set of ``python -m benchmarks.annotation_budget``: whombat's annotated clips, split by species.

../shared/data/bat is a whombat project of ten recordings, one species each, annotated only
inside its clips (33 clips of at most one second). It is prepared as ``benchmarks.generalize``
prepares it (:func:`benchmarks.generalize_sets.prepare_bat`, run here: ``hark convert`` of the
project, ``hark resample --rate 250000``, each annotated clip a recording of its own, every
box the label ``call``), so that a clip holds nothing unannotated.

- **Pool**: the clips of seven species (22 clips, 280 calls; 455 stretches of no call between them).
- **Withheld**: the clips of three species with many calls, one of each of three families
  (Noctilionidae, Phyllostomidae, Mormoopidae): *Noctilio leporinus* (59 calls),
  *Carollia perspicillata* (30) and *Pteronotus mesoamericanus* (64): 11 clips, 153 calls.
  A withheld species is never heard in training, as in ``benchmarks.generalize``'s bat folds.
- **Score**: F1 of events as for USV (a found call matches at most one true call it overlaps).
- **Model**: as USV's (sparse supervision, the ``calls`` architecture at 250 kHz), the
  predicted events joined by the README's bat segmentation (``--min-duration-ms 1
  --fill-gap-ms 3``: bat calls last 1-30 ms).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.annotation_budget_sets import BudgetSet, event_f1

BAT_WITHHELD_SPECIES = ("Noctilio_leporinus", "Carollia_perspicillata", "Pteronotus_mesoamericanus")
BAT_LABEL = "call"
# the README's: "Bat calls last 1-30 ms, so segment them with --min-duration-ms 1 --fill-gap-ms 3"
BAT_SEGMENTATION = {"min_duration_ms": 1.0, "fill_gap_ms": 3.0}


def species_of(recording_stem: str) -> str:
    """``XC820302-Noctilio_leporinus-2013...`` -> ``Noctilio_leporinus`` (the data set's file names)."""
    return recording_stem.split("-")[1]


def prepare_bat(shared: Path, root: Path) -> BudgetSet:
    """The clips made by :func:`benchmarks.generalize_sets.prepare_bat` under ``root/bat``, split by species."""
    from benchmarks.generalize_sets import Runner
    from benchmarks.generalize_sets import prepare_bat as prepare_bat_clips
    from hark.annotations.songexplorer import read_csv

    folder = root / "bat"
    folder.mkdir(parents=True, exist_ok=True)
    prepare_bat_clips(Runner(folder, quick=False, say=print), shared)  # skipped when already prepared
    clips_root = folder / "data" / "bat" / "clips"
    pool, withheld, truth = [], [], {}
    for species_folder in sorted(p for p in clips_root.iterdir() if p.is_dir()):
        for clip in sorted(species_folder.glob("*.wav"), key=lambda p: (len(p.name), p.name)):
            truth[clip.name] = [e for e in read_csv(clip.parent / f"{clip.name}-annotated-whombat.csv", allow_empty=True) if e.label == BAT_LABEL]
            (withheld if species_of(species_folder.name) in BAT_WITHHELD_SPECIES else pool).append(clip)
    return BudgetSet(
        "bat", [BAT_LABEL], pool, withheld, truth, "event F1 (overlap, one-to-one)", event_f1,
        train_params={"architecture": "calls"}, segmentation=dict(BAT_SEGMENTATION),
    )  # fmt: skip


__all__ = ["BAT_WITHHELD_SPECIES", "prepare_bat", "species_of"]
