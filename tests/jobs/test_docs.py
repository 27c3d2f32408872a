"""docs/jobs.md describes every cluster setting and every job kind hark ships, with its parameters."""

from hark.jobs import ClusterSettings, job_kinds
from hark.evaluate.jobs import AccuracyJobParams
from hark.infer.jobs import CongruenceJobParams, EthogramJobParams, FreezeJobParams, MissesJobParams
from hark.train.jobs import TrainJobParams
from tests.conftest import REPO_ROOT

SHIPPED = ("detect", "classify", "train", "accuracy", "freeze", "ethogram", "misses", "congruence")


def test_every_setting_and_shipped_job_kind_is_documented():
    docs = (REPO_ROOT / "docs" / "jobs.md").read_text()
    for name, field in ClusterSettings.model_fields.items():
        assert field.description, name
        assert f"| `{name}` |" in docs, f"cluster setting {name} is not in docs/jobs.md"
    for kind in SHIPPED:
        assert f"| `{kind}` |" in docs, f"job kind {kind} is not in docs/jobs.md"
        assert job_kinds.get(kind).description
    for model in (TrainJobParams, AccuracyJobParams, FreezeJobParams, EthogramJobParams, MissesJobParams, CongruenceJobParams):
        for name, field in model.model_fields.items():
            assert field.description and f"`{name}`" in docs, f"{model.__name__}.{name} is not in docs/jobs.md"
