"""Embeddings of sounds for finding mistakes and new sounds: activations, then cluster maps.

``compute_activations`` (``hark activations``) runs chosen sounds through a trained model
and keeps its hidden layers; ``cluster_activations`` (``hark cluster``) maps one layer to 2-D
or 3-D with a clusterer plugin (UMAP, t-SNE, PCA) for the GUI's cluster view.
"""

from hark.embed.activations import ActivationParams, Activations, compute_activations, read_activations
from hark.embed.cluster import ClusterMap, ClusterParams, cluster_activations, default_layer, read_cluster_map
from hark.embed.clusterers import Clusterer, clusterers, register_clusterer

__all__ = [
    "ActivationParams", "Activations", "ClusterMap", "ClusterParams", "Clusterer", "cluster_activations", "clusterers",
    "compute_activations", "default_layer", "read_activations", "read_cluster_map", "register_clusterer",
]
