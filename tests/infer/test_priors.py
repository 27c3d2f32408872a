import numpy as np
import pytest

from hark.errors import HarkError
from hark.infer.priors import parse_priors, prior_weights, reweight, training_prevalences
from hark.models.store import ModelConfig


def config(outputs=("song", "ambient"), overlapped=False, data=None):
    return ModelConfig(
        architecture="x", architecture_params={}, kind="frame", samplerate=1000, output_names=list(outputs),
        labels=list(outputs), overlapped=overlapped, data=data if data is not None else {"equalize": True},
    )


def test_uniform_priors_are_the_identity():
    p = np.random.default_rng(0).dirichlet(np.ones(3), size=50).astype(np.float32)
    weights = prior_weights({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, ["a", "b", "c"], np.full(3, 1 / 3), overlapped=False)
    np.testing.assert_allclose(reweight(p, weights, overlapped=False), p, atol=1e-6)
    q = np.random.default_rng(1).random((50, 3)).astype(np.float32)
    weights = prior_weights({"a": 1 / 3, "b": 1 / 3}, ["a", "b", "c"], np.full(3, 1 / 3), overlapped=True)
    np.testing.assert_allclose(reweight(q, weights, overlapped=True), q, atol=1e-6)


def test_two_classes_by_hand():
    # trained on equal numbers; song is 1 in 10 in the field. A frame at p(song) = 0.8:
    # posterior odds = 0.8/0.2 * (0.1/0.9) / (0.5/0.5) = 4/9 -> p = 4/13
    weights = prior_weights({"song": 0.1}, ["song", "ambient"], np.array([0.5, 0.5]), overlapped=False)
    np.testing.assert_allclose(weights, [0.2, 1.8])  # ambient takes the remaining 0.9
    out = reweight(np.array([[0.8, 0.2], [0.5, 0.5]], np.float32), weights, overlapped=False)
    np.testing.assert_allclose(out, [[4 / 13, 9 / 13], [0.1, 0.9]], atol=1e-6)


def test_overlapped_labels_move_their_odds_alone():
    weights = prior_weights({"song": 0.2}, ["song", "call"], np.array([0.5, 0.5]), overlapped=True)
    out = reweight(np.array([[0.5, 0.7], [1.0, 0.0], [0.0, 1.0]], np.float32), weights, overlapped=True)
    # odds 1 * (0.2/0.8) = 0.25 -> 0.2; certainties stay certain; call untouched
    np.testing.assert_allclose(out, [[0.2, 0.7], [1.0, 0.0], [0.0, 1.0]], atol=1e-6)


def test_training_prevalences():
    np.testing.assert_allclose(training_prevalences(config(("a", "b", "c", "d"))), 0.25)
    recorded = config(data={"equalize": False, "prevalences": {"song": 1, "ambient": 3}})
    np.testing.assert_allclose(training_prevalences(recorded), [0.25, 0.75])
    with pytest.raises(HarkError, match="training prevalences are unknown"):
        training_prevalences(config(data={"equalize": False}))


def test_parse_priors():
    assert parse_priors(["mel-pulse=0.02", " sine = 0.5"]) == {"mel-pulse": 0.02, "sine": 0.5}
    for bad in ["song", "=0.3", "song=lots"]:
        with pytest.raises(HarkError, match="expected LABEL=PREVALENCE"):
            parse_priors([bad])
