# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""status.csv reads back as numbers, whichever version of the experiment wrote its rows."""

from dreamstride_lab.experiment_status import read_status_rows


def test_status_rows_read_as_numbers_and_keep_their_words(tmp_path):
    path = tmp_path / 'status.csv'
    path.write_text(
        'wall_s,env_steps,hold_reason,learner_state,rescues\n'
        '5.0,100,,prefill,\n'
        # A row written by a later version under this older header: its extra field drops.
        '10.5,220,recorder,training,1,7\n'
    )
    rows = read_status_rows(path)
    assert rows == [
        {
            'wall_s': 5.0,
            'env_steps': 100.0,
            'hold_reason': '',
            'learner_state': 'prefill',
            'rescues': 0.0,
        },
        {
            'wall_s': 10.5,
            'env_steps': 220.0,
            'hold_reason': 'recorder',
            'learner_state': 'training',
            'rescues': 1.0,
        },
    ]
