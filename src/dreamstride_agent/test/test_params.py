# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""params.declare: each ParameterSpec becomes a typed, described ROS parameter on the node."""

from __future__ import annotations

from dreamstride_agent.config_fields import ParameterSpec
from dreamstride_agent.params import declare
import pytest
import rclpy
from rclpy.context import Context
from rclpy.exceptions import InvalidParameterTypeException
from rclpy.parameter import Parameter

PARAMS = [
    ParameterSpec('rate', 20.0, 'Control rate (Hz).'),
    ParameterSpec('name', 'spot', 'A name.'),
    ParameterSpec('count', 3, 'A count.'),
    ParameterSpec('flags', [True, False], 'Some flags.'),
]


@pytest.fixture
def make_node():
    context = Context()
    rclpy.init(context=context)
    nodes = []

    def make(overrides: list[Parameter] = ()):
        nodes.append(
            rclpy.create_node('params_test', context=context, parameter_overrides=overrides)
        )
        return nodes[-1]

    yield make
    for node in nodes:
        node.destroy_node()
    rclpy.shutdown(context=context)


def test_defaults_types_and_descriptions_come_from_the_table(make_node):
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


def test_a_value_given_to_the_node_wins_over_the_default(make_node):
    node = make_node([Parameter('rate', value=50.0), Parameter('name', value='spot_1')])
    values = declare(node, PARAMS)
    assert (values['rate'], values['name'], values['count']) == (50.0, 'spot_1', 3)


def test_a_value_of_another_type_than_the_default_is_refused(make_node):
    node = make_node([Parameter('count', value='three')])
    with pytest.raises(InvalidParameterTypeException):
        declare(node, PARAMS)
