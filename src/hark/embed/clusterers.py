"""Clusterer plugins: PCA and t-SNE (scikit-learn) and UMAP (umap-learn), one registry.

A clusterer plugin has a ``Params`` model and ``build(params, dims, seed)`` returning an
estimator with scikit-learn's ``fit_transform`` (the estimators are scikit-learn's and
umap-learn's own, not wrappers). Third-party packages add theirs through the entry point
group ``hark.clusterers``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Protocol

from pydantic import Field

from hark.errors import HarkError
from hark.params import Params, validate_params
from hark.registry import Registry


class Embedder(Protocol):
    def fit_transform(self, features: Any) -> Any: ...


class Clusterer:
    """Base of clusterer plugins."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]]
    min_sounds: ClassVar[int] = 2

    @classmethod
    def validate(cls, values: dict | None) -> Params:
        return validate_params(cls.Params, values, f"clusterer {cls.name}")

    @classmethod
    def check(cls, params: Params, n_sounds: int) -> None:
        """A one-line HarkError if ``n_sounds`` is too few for these parameters."""
        if n_sounds < cls.min_sounds:
            raise HarkError(f"clusterer {cls.name}: needs at least {cls.min_sounds} sounds, got {n_sounds}")

    @classmethod
    def build(cls, params: Params, dims: int, seed: int) -> Embedder:
        raise NotImplementedError


clusterers: Registry[type[Clusterer]] = Registry("clusterer", "hark.clusterers")
register_clusterer = clusterers.register_class


class PCAParams(Params):
    whiten: bool = Field(False, description="pca: scale the components to unit variance")


@register_clusterer("pca")
class PCAClusterer(Clusterer):
    """Principal components: linear, fast, keeps global distances."""

    Params = PCAParams

    @classmethod
    def build(cls, params: PCAParams, dims: int, seed: int) -> Embedder:
        from sklearn.decomposition import PCA

        return PCA(n_components=dims, whiten=params.whiten, random_state=seed)


class TSNEParams(Params):
    perplexity: float = Field(30.0, gt=1, le=1000, description="tsne: about how many neighbours each sound weighs")
    early_exaggeration: float = Field(12.0, gt=0, description="tsne: how tightly clusters pack early in the optimisation")
    learning_rate: float | Literal["auto"] = Field("auto", description="tsne: step size of the optimisation ('auto' or a number)")
    max_iter: int = Field(1000, ge=250, le=100_000, description="tsne: iterations of the optimisation")


@register_clusterer("tsne")
class TSNEClusterer(Clusterer):
    """t-SNE: local neighbourhoods, slow on many sounds; distances between clusters mean little."""

    Params = TSNEParams

    @classmethod
    def check(cls, params: TSNEParams, n_sounds: int) -> None:
        super().check(params, n_sounds)
        if params.perplexity >= n_sounds:
            raise HarkError(f"clusterer tsne: perplexity {params.perplexity:g} must be below the number of sounds ({n_sounds})")

    @classmethod
    def build(cls, params: TSNEParams, dims: int, seed: int) -> Embedder:
        from sklearn.manifold import TSNE

        return TSNE(
            n_components=dims, perplexity=params.perplexity, early_exaggeration=params.early_exaggeration,
            learning_rate=params.learning_rate, max_iter=params.max_iter, init="pca", random_state=seed,
        )


class UMAPParams(Params):
    n_neighbors: int = Field(15, ge=2, le=10_000, description="umap: neighbours that define local structure (larger: more global)")
    min_dist: float = Field(0.1, ge=0, le=10, description="umap: how tightly points may pack in the embedding")
    metric: str = Field("euclidean", description="umap: distance between activations (euclidean, cosine, correlation, ...)")


@register_clusterer("umap")
class UMAPClusterer(Clusterer):
    """UMAP (umap-learn): local and some global structure; SongExplorer's default."""

    Params = UMAPParams

    @classmethod
    def check(cls, params: UMAPParams, n_sounds: int) -> None:
        super().check(params, n_sounds)
        if params.n_neighbors >= n_sounds:
            raise HarkError(f"clusterer umap: n_neighbors {params.n_neighbors} must be below the number of sounds ({n_sounds})")

    @classmethod
    def build(cls, params: UMAPParams, dims: int, seed: int) -> Embedder:
        import umap  # umap-learn: importing it compiles with numba, so only when asked for

        return umap.UMAP(
            n_components=dims, n_neighbors=params.n_neighbors, min_dist=params.min_dist, metric=params.metric,
            random_state=seed, n_jobs=1,  # a seed makes umap single-threaded anyway; say so to silence its warning
        )
