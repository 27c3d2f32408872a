"""Choosing a model by validation: cross-validation over annotations (``hark xvalidate``),
over withheld recordings (``hark generalize``, nested: tuned on the other recordings, the
withheld ones scored once), and comparisons of runs (``hark compare``).

>>> plan = plan_xvalidation("groundtruth", DataParams(labels="mel-pulse,mel-sine,ambient"), TrainParams(), folds=4, replicates=2)
>>> run = run_validation(plan, "xval/mb32", cluster="local")
>>> run.summary["overall"]["macro_f1"]
>>> compare_runs(["xval/mb32", "xval/mb64"], "xval/compare")

See docs/validation.md.
"""

from hark.validate.folds import FoldRun, ValidationPlan, plan_generalization, plan_xvalidation
from hark.validate.nested import score_withheld, tuned_settings
from hark.validate.runs import FOLD_KIND, ValidationRun, fold_jobs, run_validation
from hark.validate.scores import read_run, score_model, summed_metrics

__all__ = [
    "FOLD_KIND", "FoldRun", "ValidationPlan", "ValidationRun", "fold_jobs", "plan_generalization", "plan_xvalidation",
    "read_run", "run_validation", "score_model", "score_withheld", "summed_metrics", "tuned_settings",
]
