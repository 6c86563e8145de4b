# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The experiment's options become its settings once; the parsed options stay as given."""

import argparse

from dreamstride_lab import experiment_arguments
from dreamstride_lab.locomotion_metrics import WALK


def parse(*argv):
    parser = argparse.ArgumentParser()
    experiment_arguments.add_arguments(parser)
    return parser.parse_args(argv)


def test_a_smoke_run_shortens_its_settings_not_the_options():
    args = parse('--smoke', '--duration', '600', '--snapshot-every', '100', '--eval-episodes', '5')
    run = experiment_arguments.settings(args)
    assert (run.duration, run.snapshot_every, run.eval_episodes) == (45.0, 15.0, 1)
    assert run.episode_length == 40 and run.overrides['learner']['model'] == 'tiny'
    assert (args.duration, args.snapshot_every, args.eval_episodes) == (600.0, 100.0, 5)
    assert experiment_arguments.settings(args) == run  # reading them again gives the same


def test_a_full_run_keeps_the_options_and_seeds_every_node():
    args = parse('--duration', '7200', '--seed', '2', '--model', 'cpu')
    run = experiment_arguments.settings(args)
    assert (run.duration, run.snapshot_every, run.eval_episodes) == (7200.0, 300.0, 3)
    assert run.episode_length == WALK.steps  # the walk criterion's evaluation applies
    assert {node: values['seed'] for node, values in run.overrides.items()} == {
        'spot_mujoco': 3,
        'agent': 3,
        'learner': 3,
    }
    assert run.overrides['learner'] == {'train_ratio': 256.0, 'seed': 3, 'model': 'cpu'}
