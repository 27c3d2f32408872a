"""Which worker resources a job asks for, and when no worker could ever take it."""

from hark.jobs import Resources
from hark.jobs.clusters import Cluster
from hark.jobs.dask_backend import placement


def test_this_machines_workers_give_a_big_job_a_whole_worker_and_share_a_gpu():
    two_halves = Cluster(None, [{"cpus": 1, "gpus": 0.5, "memory_gb": 8}] * 2, local=True)
    assert placement(Resources(cpus=4, gpus=1, memory_gb=64), two_halves) == ({"cpus": 1, "gpus": 0.5, "memory_gb": 8}, None)
    no_gpu = Cluster(None, [{"cpus": 2, "memory_gb": 8}], local=True)
    asked, problem = placement(Resources(gpus=1), no_gpu)
    assert problem == "needs cpus=1, gpus=1, memory_gb=1 but this machine's workers have cpus=2, memory_gb=8"


def test_workers_of_a_scheduler_are_held_to_what_they_declare():
    declared = Cluster(None, [{"cpus": 2, "memory_gb": 4}, {"cpus": 8, "gpus": 1, "memory_gb": 64}])
    assert placement(Resources(cpus=4, gpus=1, memory_gb=32), declared) == ({"cpus": 4, "gpus": 1, "memory_gb": 32}, None)
    asked, problem = placement(Resources(cpus=16), declared)
    assert problem.startswith("needs cpus=16, memory_gb=1 but no worker offers that (the largest offers cpus=8, gpus=1, memory_gb=64)")
    # workers started without --resources take any job that needs no GPU, and no GPU job
    plain = Cluster(None, [{}, {}])
    assert placement(Resources(cpus=4, memory_gb=100), plain) == ({}, None)
    assert placement(Resources(gpus=1), plain)[1].startswith("needs gpus=1 but no worker offers that (the largest offers no declared resources)")
