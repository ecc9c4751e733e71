"""--scheduler: the same blocks on a dask.distributed cluster give the same numbers."""

import numpy as np
import pytest

from bubblesim import load_scenario, simulate
from bubblesim.engine.simulate import ClusterError, use_scheduler

from ..conftest import SCENARIOS

distributed = pytest.importorskip("dask.distributed")


def test_an_in_process_cluster_gives_the_numbers_of_a_local_run(tmp_path):
    path = tmp_path / "events.toml"  # the baseline with events: reduced on the cluster too
    path.write_text(
        f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\n'
        '[[events]]\nname = "fast"\nindex = "ai"\nkind = "drawdown_within"\ndepth = 0.2\n'
        'window = "3m"\n'
        '[[events]]\nname = "low"\nindex = "market"\nkind = "below"\nlevel = 0.9\n'
        "by = 2027-01-01\n"
    )
    sc = load_scenario(path)
    local = simulate(sc, paths=9000, keep_paths=9000, seed=4)  # three blocks, the last one partial
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        remote = simulate(
            sc, paths=9000, keep_paths=9000, seed=4, scheduler=cluster.scheduler_address
        )
        with use_scheduler(cluster.scheduler_address):
            ambient = simulate(sc, paths=9000, keep_paths=9000, seed=4)
    for name in local.states:
        np.testing.assert_array_equal(local.states[name], remote.states[name])
        np.testing.assert_array_equal(local.states[name], ambient.states[name])
    assert {"event.fast", "event.low"} <= set(local.reductions)
    for name in local.reductions:
        np.testing.assert_array_equal(local.reductions[name], remote.reductions[name])


def test_an_unreachable_scheduler_is_one_clear_error():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    with pytest.raises(ClusterError, match="cannot connect"):
        simulate(sc, paths=100, keep_paths=100, scheduler="tcp://127.0.0.1:9")


@pytest.mark.parametrize("address", ["notanaddress", "", "tcp://"])
def test_an_address_dask_cannot_read_is_the_same_clear_error(address):
    sc = load_scenario(SCENARIOS / "baseline.toml")
    with pytest.raises(ClusterError, match="cannot connect"):
        simulate(sc, paths=5000, scheduler=address)  # two chunks: the cluster is asked
