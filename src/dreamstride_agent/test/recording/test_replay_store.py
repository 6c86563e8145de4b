# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The replay store reader refuses hostile segments by name and reason; training goes on."""

from __future__ import annotations

import math
import os
from pathlib import Path
import shutil
import stat
import threading

from dreamstride_agent.recording.replay_store import (
    SegmentError,
    StepLayout,
    iter_store,
    make_typestore,
    read_segment,
    robot_stores,
    segment_key,
)
import pytest
from std_msgs.msg import Header
from store_steps import GOOD, KEYS, good, step, write_segment


@pytest.fixture(scope='module')
def typestore():
    return make_typestore()


# --- what a step holds ---------------------------------------------------------------
@pytest.mark.parametrize(
    'bad, reason',
    [
        ({'obs_size': 20, 'keys': ''}, 'holds observation 20'),
        ({'obs_size': 1, 'keys': ''}, 'holds observation 1'),  # was broadcast to 16 values
        ({'act_size': 0}, 'empty action'),
        ({'act_size': 6}, 'action 6'),
        ({'keys': 'joint_position:12,roll_pitch_rate:2,roll_pitch:2'}, 'expected observation 16'),
        ({'keys': 'joint_position:12'}, 'describe 12 values, the observation has 16'),
        ({'keys': 'joint_position=12'}, 'not of the form'),
        ({'image': (8, 8)}, 'image 8x8x3; expected'),
        ({'reward': math.nan}, 'non-finite reward'),
    ],
)
def test_a_step_that_does_not_fit_the_layout_is_refused(tmp_path, typestore, bad, reason):
    steps = [step(s) for s in range(4)] + [step(4, **bad)]
    path = write_segment(tmp_path, 'seg', steps)
    with pytest.raises(SegmentError, match=f'seg: step seq 4 .*{reason}'):
        read_segment(path, typestore, GOOD)


def test_non_finite_observation_or_action_is_refused(tmp_path, typestore):
    nan_obs = step(2)
    nan_obs.observation[3] = math.nan
    inf_action = step(2)
    inf_action.action[0] = -math.inf
    for name, bad, what in (
        ('nan_obs', nan_obs, 'observation'),
        ('inf_action', inf_action, 'action'),
    ):
        path = write_segment(tmp_path, name, [step(0), step(1), bad])
        with pytest.raises(SegmentError, match=f'{name}: step seq 2 .*non-finite {what}'):
            read_segment(path, typestore)


def test_without_a_layout_the_first_step_fixes_it_for_the_segment(tmp_path, typestore):
    path = write_segment(tmp_path, 'mixed', [step(0), step(1, obs_size=12, keys='')])
    with pytest.raises(
        SegmentError, match='mixed: step seq 1 .*observation 12.*expected observation 16'
    ):
        read_segment(path, typestore)
    images = write_segment(tmp_path, 'images', [step(s, image=(4, 6)) for s in range(3)])
    records = read_segment(images, typestore)
    assert StepLayout.of(records[0]) == StepLayout(16, 12, KEYS, (4, 6, 3))


# --- what the store holds on disk ---------------------------------------------------
def _unblock(fifo: Path) -> None:
    """Open the FIFO's write end, so that a reader stuck opening it (old code) returns."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


def test_a_fifo_in_place_of_the_bag_is_refused_without_blocking(tmp_path, typestore):
    path = good(tmp_path, 'seg', 'run')
    mcap = next(path.glob('*.mcap'))
    mcap.unlink()
    os.mkfifo(mcap)
    outcome: list = []

    def read() -> None:
        try:
            outcome.append(read_segment(path, typestore))
        except SegmentError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10.0)
    blocked = reader.is_alive()
    while reader.is_alive():
        _unblock(mcap)
        reader.join(0.1)
    assert not blocked, 'the reader blocked opening a named pipe'
    assert isinstance(outcome[0], SegmentError)
    assert str(outcome[0]) == f'seg: {mcap.name} is a named pipe (FIFO), not a regular file'


def test_a_directory_where_the_bag_should_be_is_refused(tmp_path, typestore):
    path = good(tmp_path, 'seg', 'run')
    mcap = next(path.glob('*.mcap'))
    mcap.unlink()
    mcap.mkdir()
    with pytest.raises(SegmentError, match=f'seg: {mcap.name} is a directory, not a regular'):
        read_segment(path, typestore)


def test_a_device_in_place_of_the_bag_is_refused(tmp_path, typestore):
    path = good(tmp_path, 'seg', 'run')
    mcap = next(path.glob('*.mcap'))
    mcap.unlink()
    try:
        os.mknod(mcap, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip('creating a device node needs CAP_MKNOD')
    with pytest.raises(SegmentError, match=f'seg: {mcap.name} is a character device, not a'):
        read_segment(path, typestore)


def test_symlinks_out_of_the_store_are_refused(tmp_path, typestore):
    store, outside = tmp_path / 'replay', tmp_path / 'elsewhere'
    good(outside, 'abroad', 'run_a')  # a valid bag, but not ours
    (store / 'linked_segment').parent.mkdir(parents=True)
    (store / 'linked_segment').symlink_to(outside / 'abroad')
    with pytest.raises(SegmentError, match='linked_segment is a symlink that leads out of'):
        read_segment(store / 'linked_segment', typestore, store=store)
    path = good(store, 'seg', 'run_b')
    mcap = next(path.glob('*.mcap'))
    mcap.unlink()
    mcap.symlink_to(next((outside / 'abroad').glob('*.mcap')))
    with pytest.raises(SegmentError, match=f'seg: {mcap.name} is a symlink that leads out'):
        read_segment(path, typestore, store=store)
    devnull = good(store, 'dev', 'run_c')
    meta = devnull / 'metadata.yaml'
    meta.unlink()
    meta.symlink_to('/dev/null')
    with pytest.raises(SegmentError, match='dev: metadata.yaml is a symlink that leads out'):
        read_segment(devnull, typestore, store=store)


def test_a_symlink_inside_the_store_is_followed(tmp_path, typestore):
    store = tmp_path / 'replay'
    good(store, 'real', 'run')
    (store / 'alias').symlink_to(store / 'real')
    assert [r.seq for r in read_segment(store / 'alias', typestore, store=store)] == list(range(5))


def test_iter_store_lists_symlinked_segments_and_the_first_fixes_the_layout(tmp_path, typestore):
    outside = tmp_path / 'elsewhere'
    good(outside, 'abroad', 'run_a')
    store = tmp_path / 'replay'
    good(store, 'a', 'run_a')
    write_segment(store, 'b', [step(s, 'run_b', obs_size=20, keys='') for s in range(3)])
    (store / 'c').symlink_to(outside / 'abroad')
    results = {seg.name: res for seg, res in iter_store(store, typestore)}
    assert sorted(results) == ['a', 'b', 'c']
    assert len(results['a']) == 5
    assert 'holds observation 20' in str(results['b'])
    assert 'leads out of the store' in str(results['c'])


def _pad_metadata(segment: Path, custom_data: str) -> Path:
    """Replace the segment's ``custom_data: null`` with ``custom_data`` (YAML text)."""
    meta = segment / 'metadata.yaml'
    text = meta.read_text()
    assert 'custom_data: null' in text
    meta.write_text(text.replace('custom_data: null', f'custom_data: {custom_data}'))
    return meta


def test_an_oversized_metadata_yaml_is_refused_before_it_is_parsed(tmp_path, typestore):
    # Valid YAML that rosbags reads (slowly, the bigger it gets): refused by its size alone.
    good(tmp_path, 'a', 'run_a')
    wide = good(tmp_path, 'wide', 'run_w')
    entries = ''.join(f'\n    key_{i}: value_{i}' for i in range(2000))
    size = _pad_metadata(wide, entries).stat().st_size
    assert size > 2 * 16 * 1024
    with pytest.raises(SegmentError) as refused:
        read_segment(wide, typestore)
    assert str(refused.value) == (
        f'wide: metadata.yaml is {size} bytes, more than the {16 * 1024} a segment may have'
    )
    # Skipped like any other refused segment: the rest of the store is read.
    good(tmp_path, 'z', 'run_z')
    results = {segment_key(seg, tmp_path): res for seg, res in iter_store(tmp_path, typestore)}
    assert [len(results['a']), len(results['z'])] == [5, 5]
    assert isinstance(results['wide'], SegmentError) and f'{size} bytes' in str(results['wide'])


def test_deeply_nested_metadata_yaml_is_refused_before_it_is_parsed(tmp_path, typestore):
    # A few kB of nested flow collections cost rosbags' YAML scanner seconds.
    nested = good(tmp_path, 'nested', 'run')
    _pad_metadata(nested, '[' * 1500 + ']' * 1500)
    with pytest.raises(SegmentError, match=r'^nested: metadata.yaml nests \[ and \{ 1500 deep'):
        read_segment(nested, typestore)
    shallow = good(tmp_path, 'shallow', 'run')  # a few levels, as rosbag2 writes: accepted
    _pad_metadata(shallow, "{qos: [{depth: 1, history: [1, 2]}], note: '[[[[[[[[[[['}")
    assert len(read_segment(shallow, typestore)) == 5


def robot_segment(store: Path, robot: str, name: str, run_id: str, n: int) -> Path:
    """A segment of ``n`` steps taken by ``robot`` (Step.header.frame_id)."""
    steps = [step(s, run_id, header=Header(frame_id=robot)) for s in range(n)]
    return write_segment(store, name, steps)


def test_robot_stores_are_read_with_the_store_and_each_step_names_its_robot(tmp_path, typestore):
    replay = tmp_path / 'replay'
    robot_segment(replay, 'spot', 'a', 'run_top', 3)  # a one-robot run, resumed with two
    robot_segment(replay / 'spot_0', 'spot_0', 'same_name', 'run_0', 4)
    robot_segment(replay / 'spot_1', 'spot_1', 'same_name', 'run_1', 5)
    good(tmp_path / 'outside', 'abroad', 'r_abroad')
    # A symlink is never followed as a robot store (as a segment, it is refused).
    (replay / 'linked').symlink_to(tmp_path / 'outside')
    assert [p.name for p in robot_stores(replay)] == ['spot_0', 'spot_1']
    results = {segment_key(seg, replay): res for seg, res in iter_store(replay, typestore)}
    assert sorted(results) == ['a', 'linked', 'spot_0/same_name', 'spot_1/same_name']
    assert 'leads out of the store' in str(results['linked'])
    assert {r.robot for r in results['spot_1/same_name']} == {'spot_1'}
    assert [r.robot for r in results['a']] == ['spot'] * 3
    skipped = dict(iter_store(replay, typestore, skip={'a', 'linked', 'spot_0/same_name'}))
    assert [segment_key(seg, replay) for seg in skipped] == ['spot_1/same_name']


def test_learner_trains_on_every_robots_store_with_keys_unique_across_robots(tmp_path):
    replay = tmp_path / 'replay'
    robot_segment(replay / 'spot_0', 'spot_0', 'seg', 'run_0', 6)
    robot_segment(replay / 'spot_1', 'spot_1', 'seg', 'run_1', 6)
    core, logs = make_learner(tmp_path)
    assert core.scan_store() == 12, logs
    assert core.loaded == {'spot_0/seg', 'spot_1/seg'}
    assert core.robot_steps == {'spot_0': 6, 'spot_1': 6}
    # spot_1 restarts: a new agent run (run_id) starts again at seq 0; none is dropped.
    robot_segment(replay / 'spot_1', 'spot_1', 'seg_2', 'run_1b', 4)
    assert core.scan_store() == 4 and core.replay_steps() == 16
    assert core.scan_store() == 0  # nothing read twice


# --- the learner: counts each refusal once, keeps training on the rest --------------
def make_learner(tmp_path: Path, layout: StepLayout | None = None, **settings):
    from dreamstride_agent.learning.learner_core import LearnerCore, LearnerSettings

    logs: list[tuple[str, str]] = []
    core = LearnerCore(
        LearnerSettings(
            tmp_path / 'replay',
            tmp_path / 'learner',
            model='tiny',
            step_layout=layout,
            **settings,
        ),
        log=lambda level, message: logs.append((level, message)),
    )
    return core, logs


def plant_hostile(replay: Path) -> dict[str, str]:
    """One segment per problem the learner must survive; returns name -> reason."""
    nan_obs = [step(s, 'r_nan') for s in range(3)]
    nan_obs[1].observation[0] = math.nan
    write_segment(
        replay, 'b_other_size', [step(s, 'r_size', obs_size=20, keys='') for s in range(3)]
    )
    write_segment(
        replay, 'c_fewer_values', [step(s, 'r_few', obs_size=1, keys='') for s in range(3)]
    )
    write_segment(replay, 'd_empty_action', [step(s, 'r_empty', act_size=0) for s in range(3)])
    write_segment(replay, 'e_nan', nan_obs)
    fifo = good(replay, 'f_fifo', 'r_fifo')
    mcap = next(fifo.glob('*.mcap'))
    mcap.unlink()
    os.mkfifo(mcap)
    good(replay.parent / 'outside', 'abroad', 'r_abroad')
    (replay / 'g_symlink').symlink_to(replay.parent / 'outside' / 'abroad')
    return {
        'b_other_size': 'observation 20',
        'c_fewer_values': 'observation 1',
        'd_empty_action': 'empty action',
        'e_nan': 'non-finite observation',
        'f_fifo': 'named pipe',
        'g_symlink': 'leads out of the store',
    }


def test_learner_refuses_hostile_segments_and_trains_on_the_rest(tmp_path):
    replay = tmp_path / 'replay'
    good(replay, 'a_first', 'r_a', 10)
    planted = plant_hostile(replay)
    good(replay, 'z_last', 'r_z', 10)
    core, logs = make_learner(tmp_path)
    outcome: list = []
    scan = threading.Thread(target=lambda: outcome.append(core.scan_store()), daemon=True)
    scan.start()
    scan.join(30.0)
    blocked = scan.is_alive()
    while scan.is_alive():
        _unblock(next((replay / 'f_fifo').glob('*.mcap')))
        scan.join(0.1)
    assert not blocked, 'scan_store blocked on a named pipe'
    assert outcome == [20], logs  # raised (no outcome) or loaded bad steps
    assert core.loaded == {'a_first', 'z_last'} and core.replay_steps() == 20
    assert sorted(core.refused) == sorted(planted)
    for name, reason in planted.items():
        assert core.refused[name].startswith(name) and reason in core.refused[name]
    assert core.snapshot()['replay_segments_refused'] == len(planted)
    refused_lines = [m for level, m in logs if 'replay segment refused' in m]
    assert len(refused_lines) == len(planted)
    assert core.scan_store() == 0  # nothing read twice, nothing logged twice
    assert len([m for _, m in logs if 'replay segment refused' in m]) == len(planted)
    good(replay, 'zz_later', 'r_later', 4)  # training data keeps coming in
    assert core.scan_store() == 4 and core.replay_steps() == 24


def test_learner_told_the_layout_refuses_a_hostile_first_segment(tmp_path):
    replay = tmp_path / 'replay'
    write_segment(replay, 'a_hostile', [step(s, 'r_h', obs_size=8, keys='') for s in range(6)])
    good(replay, 'b_good', 'r_b', 7)
    core, logs = make_learner(tmp_path, GOOD)
    assert core.scan_store() == 7
    assert list(core.refused) == ['a_hostile'] and core.replay.obs_dim == 16
    # Without it the first accepted segment fixes the sizes, and the later good one is
    # the one refused: the layout is never changed under a replay that exists.
    shutil.rmtree(tmp_path / 'learner')
    core, _ = make_learner(tmp_path)
    assert core.scan_store() == 6
    assert list(core.refused) == ['b_good'] and core.replay.obs_dim == 8


@pytest.mark.parametrize('prefill_policy', [False, True])
def test_prefill_policy_exports_the_untrained_policy_before_the_prefill(tmp_path, prefill_policy):
    good(tmp_path / 'replay', 'a_first', 'r_a', 10)
    core, logs = make_learner(tmp_path, prefill_steps=100, prefill_policy=prefill_policy)
    core.scan_store()
    assert not core._ready_to_train()  # 10 of 100 steps: still prefilling
    assert core.train_step == 0
    if prefill_policy:
        # Version 1 is the untrained actor, pushed to collect the prefill with.
        assert core.latest_export is not None and core.latest_export[2] == 1, logs
        assert not core._ready_to_train() and core.latest_export[2] == 1  # exported once
    else:
        assert core.latest_export is None  # uniform random actions until training starts


def test_stored_steps_come_agent_by_agent_in_the_order_the_agents_wrote(tmp_path):
    """A resumed run's sittings come out in time order, not in the order of their run ids."""
    from dreamstride_agent.recording.replay_store import stored_steps

    # Segment names start with their creation time; run ids are random hex strings.
    write_segment(tmp_path, '20261208T000000_ff0000_00001', [step(s, 'ff0000') for s in range(3)])
    write_segment(tmp_path, '20261208T010000_00aaaa_00001', [step(s, '00aaaa') for s in range(2)])
    write_segment(tmp_path, '20261208T000100_ff0000_00002', [step(s, 'ff0000') for s in (3, 4)])
    order = [(r.run_id, r.seq) for r in stored_steps(tmp_path)]
    assert order == [('ff0000', s) for s in range(5)] + [('00aaaa', 0), ('00aaaa', 1)]
