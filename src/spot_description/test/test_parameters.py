# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""parameters.declare: each ParameterSpec becomes a typed, described ROS parameter on the node."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import rclpy
from rclpy.context import Context
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.parameter import Parameter
from spot_description.parameters import ParameterSpec, declare

PARAMS = [
    ParameterSpec('rate', 20.0, 'Control rate (Hz).'),
    ParameterSpec('name', 'spot', 'A name.', read_only=True),
    ParameterSpec('count', 3, 'A count.', read_only=True),
    ParameterSpec('flags', [True, False], 'Some flags.'),
]


@pytest.fixture
def make_node():
    context = Context()
    rclpy.init(context=context)
    nodes = []

    def make(overrides: list[Parameter] = ()):
        nodes.append(
            rclpy.create_node('parameters_test', context=context, parameter_overrides=overrides)
        )
        return nodes[-1]

    yield make
    for node in nodes:
        node.destroy_node()
    rclpy.shutdown(context=context)


def test_a_spec_is_writable_unless_it_says_read_only():
    assert ParameterSpec('rate', 20.0, 'Control rate (Hz).').read_only is False


def test_defaults_types_and_descriptors_come_from_the_table(make_node):
    node = make_node()
    assert declare(node, PARAMS) == {
        'rate': 20.0,
        'name': 'spot',
        'count': 3,
        'flags': [True, False],
    }
    types = {p.name: node.get_parameter(p.name).type_ for p in PARAMS}
    assert types == {
        'rate': Parameter.Type.DOUBLE,
        'name': Parameter.Type.STRING,
        'count': Parameter.Type.INTEGER,
        'flags': Parameter.Type.BOOL_ARRAY,
    }
    described = node.describe_parameters([p.name for p in PARAMS])
    assert [d.description for d in described] == [p.description for p in PARAMS]
    assert [d.read_only for d in described] == [p.read_only for p in PARAMS]
    assert not any(d.dynamic_typing for d in described)


def test_a_value_given_to_the_node_wins_over_the_default(make_node):
    # Read-only too: it is read-only once the node runs, not at start.
    node = make_node([Parameter('rate', value=50.0), Parameter('name', value='spot_1')])
    values = declare(node, PARAMS)
    assert (values['rate'], values['name'], values['count']) == (50.0, 'spot_1', 3)


def test_a_value_of_another_type_than_the_default_is_refused(make_node):
    node = make_node([Parameter('count', value='three')])
    with pytest.raises(InvalidParameterTypeException):
        declare(node, PARAMS)


def test_a_read_only_parameter_refuses_a_set_and_a_writable_one_accepts(make_node):
    node = make_node()
    declare(node, PARAMS)
    refused, accepted = node.set_parameters(
        [Parameter('count', value=4), Parameter('rate', value=40.0)]
    )
    assert not refused.successful
    assert accepted.successful
    assert (node.get_parameter('count').value, node.get_parameter('rate').value) == (3, 40.0)


def test_a_writable_parameter_keeps_the_type_of_its_default(make_node):
    node = make_node()
    declare(node, PARAMS)
    (result,) = node.set_parameters([Parameter('rate', value='fast')])
    assert not result.successful
    assert node.get_parameter('rate').value == 20.0


def test_the_table_imports_without_ros():
    # ROS-free cores build their tables from it: rclpy and rcl_interfaces stay out.
    code = (
        'import sys\n'
        "sys.modules['rclpy'] = sys.modules['rcl_interfaces'] = None\n"
        'from spot_description.parameters import ParameterSpec\n'
        "assert ParameterSpec('a', 1, 'A.').read_only is False\n"
    )
    subprocess.run([sys.executable, '-c', code], check=True)


RANGED = [
    ParameterSpec('gate', 0.7, 'A gate.', range=(0.0, 1.0)),
    ParameterSpec('period', 2.0, 'A period (s).', range=(0.0, math.inf)),
    ParameterSpec('steps', 200, 'A count.', range=(1, math.inf)),
]


def test_a_range_is_in_the_descriptor_and_a_value_outside_it_is_refused(make_node):
    node = make_node()
    assert declare(node, RANGED) == {'gate': 0.7, 'period': 2.0, 'steps': 200}
    gate, period, steps = node.describe_parameters(['gate', 'period', 'steps'])
    assert (gate.floating_point_range[0].from_value, gate.floating_point_range[0].to_value) == (
        0.0,
        1.0,
    )
    # An infinite end is no bound, but infinity is no value: the end is the largest float.
    assert period.floating_point_range[0].to_value == sys.float_info.max
    assert (steps.integer_range[0].from_value, steps.integer_range[0].to_value) == (1, 2**63 - 1)
    refused = node.set_parameters([Parameter('gate', value=1.5)])[0]
    assert not refused.successful and 'gate out of range' in refused.reason
    assert node.get_parameter('gate').value == 0.7
    assert node.set_parameters([Parameter('steps', value=1)])[0].successful
    assert node.set_parameters([Parameter('period', value=1e300)])[0].successful
    for bad in (math.inf, math.nan):
        refused = node.set_parameters([Parameter('period', value=bad)])[0]
        assert not refused.successful and 'period out of range' in refused.reason


@pytest.mark.parametrize('name, value', [('gate', -0.1), ('steps', 0)])
def test_a_start_value_outside_the_range_is_refused_by_name(make_node, name, value):
    node = make_node([Parameter(name, value=value)])
    with pytest.raises(InvalidParameterValueException, match=name):
        declare(node, RANGED)


def test_a_range_needs_a_number():
    with pytest.raises(TypeError, match='flag: a range needs an integer or float default'):
        declare(None, [ParameterSpec('flag', True, 'A flag.', range=(0, 1))])
