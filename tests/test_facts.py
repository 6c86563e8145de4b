# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Each topic, service and namespace name is spelled once, in its home module.

The robot contract (spot_description.contract) and the learning system's names
(dreamstride_agent.learning_topics) are the only places a name is written; everything
else imports it. A copy drifts: the replay store's own 'steps' and the bringup's two
'spot' constants were such copies. The check reads every installed Python file
(packages and launch files, not tests) with ast and fails on a string literal equal to
one of those names outside its home, unless ALLOWED says why the same letters mean
something else there. Docstrings are prose and are skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

from dreamstride_agent import learning_topics
from spot_description import contract

ROOT = Path(__file__).resolve().parents[1]
HOMES = {
    contract: ROOT / 'src/spot_description/spot_description/contract.py',
    learning_topics: ROOT / 'src/dreamstride_agent/dreamstride_agent/learning_topics.py',
}
# Names of topics, services and the namespace (the frames, 'body' and 'odom', are words
# used for other things too and stay out).
NAMES = {
    contract: (
        'DEFAULT_NAMESPACE',
        'JOINT_STATES',
        'IMU',
        'ODOMETRY',
        'CAMERA_IMAGE',
        'CAMERA_INFO',
        'JOINT_TRAJECTORY',
        'CMD_VEL',
        'RESET_SERVICE',
        'CLOCK',
    ),
    learning_topics: ('STEPS', 'LOAD_POLICY', 'AGENT_STATUS', 'RECORDER_STATUS', 'LEARNER_STATUS'),
}
# (file relative to the repository, literal) -> why it is not the name.
ALLOWED = {
    ('src/spot_description/spot_description/mjcf.py', 'spot'): "the MuJoCo model's name",
    ('src/spot_description/spot_description/mjcf.py', 'imu'): "the MuJoCo model's IMU site",
    ('src/spot_description/spot_description/urdf.py', 'spot'): "the URDF robot's name",
    ('src/dreamstride_bringup/dreamstride_bringup/spot_ros2_control.py', 'spot'): (
        "spot_ros2's shipped robot name, a fact of that project"
    ),
    ('src/dreamstride_agent/benchmarks/speed.py', 'steps'): 'a field of the JSON report',
    ('src/dreamstride_agent/benchmarks/learning_curve.py', 'steps'): (
        'a field of the JSON report'
    ),
    ('src/dreamstride_agent/benchmarks/learning_system.py', 'steps'): (
        'a field of the JSON report'
    ),
}


def facts() -> dict[str, Path]:
    """Each name's value -> its home module's file."""
    found = {}
    for module, names in NAMES.items():
        for name in names:
            value = getattr(module, name)
            assert value not in found, f'{name}: {value!r} is defined twice'
            found[value] = HOMES[module]
    return found


def string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, value) of the string constants in a file, docstrings left out."""
    tree = ast.parse(path.read_text(), filename=str(path))
    prose = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose
    ]


def installed_sources() -> list[Path]:
    """Every Python file a package installs or runs: package code, launch, benchmarks."""
    return sorted(
        p
        for p in (ROOT / 'src').rglob('*.py')
        if 'test' not in p.relative_to(ROOT / 'src').parts and p.name != 'setup.py'
    )


def test_every_name_is_spelled_only_in_its_home():
    names = facts()
    repeated = []
    for path in installed_sources():
        relative = str(path.relative_to(ROOT))
        for line, value in string_literals(path):
            if value in names and path != names[value] and (relative, value) not in ALLOWED:
                repeated.append(f'{relative}:{line}: {value!r} (defined in {names[value].name})')
    assert not repeated, 'import these names instead of spelling them:\n' + '\n'.join(repeated)


def test_the_check_sees_a_copy(tmp_path):
    """The scan finds a literal in code and ignores the same words in a docstring."""
    source = tmp_path / 'copy.py'
    source.write_text('"""Publishes steps."""\nTOPIC = \'steps\'\n')
    assert string_literals(source) == [(2, 'steps')]
    assert 'steps' in facts()


def test_every_allowance_is_still_needed():
    names = facts()
    used = {
        (str(path.relative_to(ROOT)), value)
        for path in installed_sources()
        for _, value in string_literals(path)
        if value in names
    }
    assert not set(ALLOWED) - used, 'ALLOWED lists literals the code no longer has'


def test_the_names_import_without_rclpy():
    """The ROS-free cores (agent tick, replay store) take their names from the homes."""
    import subprocess
    import sys

    code = (
        'import sys\n'
        'from spot_description import contract\n'
        'from dreamstride_agent import learning_topics\n'
        'from dreamstride_agent.acting import agent_core\n'
        'from dreamstride_agent.recording import replay_store\n'
        "assert 'rclpy' not in sys.modules, 'a name module imported rclpy'\n"
        'contract.COMMAND_QOS, learning_topics.STEP_QOS\n'
        "assert 'rclpy' in sys.modules\n"
    )
    subprocess.run([sys.executable, '-c', code], check=True)
