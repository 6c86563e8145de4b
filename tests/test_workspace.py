# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Workspace hygiene: package manifests, lint, architecture rules, network settings."""

import ast
from pathlib import Path
import shutil
import subprocess
import sys

from catkin_pkg.package import parse_package
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_imports import imported_modules

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    'dreamstride_msgs': 'ament_cmake',
    'dreamstride_agent': 'ament_python',
    'dreamstride_bringup': 'ament_python',
    'dreamstride_lab': 'ament_python',
    'spot_description': 'ament_python',
    'spot_mujoco': 'ament_python',
    'spot_webots': 'ament_python',
}


@pytest.mark.parametrize('name,build_type', sorted(PACKAGES.items()))
def test_package_manifest(name, build_type):
    pkg_dir = ROOT / 'src' / name
    package = parse_package(str(pkg_dir))  # raises on a manifest that breaks format 3 rules
    package.validate()
    assert package.package_format == 3
    assert package.name == name
    assert package.get_build_type() == build_type
    assert package.licenses and package.maintainers and package.description
    if build_type == 'ament_python':
        assert (pkg_dir / 'resource' / name).is_file(), 'ament resource marker missing'
        assert (pkg_dir / 'setup.py').is_file() and (pkg_dir / 'setup.cfg').is_file()
        assert f'$base/lib/{name}' in (pkg_dir / 'setup.cfg').read_text()


def test_colcon_meta_is_json():
    import json

    meta = json.loads((ROOT / 'colcon.meta').read_text())
    assert set(meta['names']) <= set(PACKAGES)


def test_ruff_clean():
    ruff = shutil.which('ruff')
    assert ruff, 'ruff is not installed (scripts/setup installs it)'
    result = subprocess.run([ruff, 'check', str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


ROS_MODULES = {
    'rclpy',
    'rosidl_runtime_py',
    'launch',
    'launch_ros',
    'dreamstride_msgs',
    'sensor_msgs',
    'std_msgs',
    'nav_msgs',
    'trajectory_msgs',
    'geometry_msgs',
    'builtin_interfaces',
    'rosgraph_msgs',
}


# The ROS-free cores that nodes are thin shells over, and that tests drive directly.
CORE_MODULES = [
    'src/dreamstride_agent/dreamstride_agent/' + name
    for name in (
        'acting/agent_core.py',
        'acting/observation.py',
        'acting/command_filter.py',
        'acting/reward.py',
        'acting/policy_slot.py',
        'acting/control_stats.py',
        'learning/learner_core.py',
        'recording/recorder_core.py',
        'recording/replay_store.py',
    )
] + [
    'src/spot_mujoco/spot_mujoco/simulation.py',
    'src/spot_mujoco/spot_mujoco/ratio_lock.py',
    'src/spot_description/spot_description/spot.py',
    'src/spot_description/spot_description/mjcf.py',
    'src/spot_webots/spot_webots/conversion.py',
    'src/spot_webots/spot_webots/poses.py',
]


# Each package imports only packages of a lower layer: the lab runs on the bringup, the
# bringup on the nodes' packages, those on the interfaces and the robot's description.
LAYERS = {
    'dreamstride_msgs': 0,
    'spot_description': 0,
    'dreamstride_agent': 1,
    'spot_mujoco': 1,
    'spot_webots': 1,
    'dreamstride_bringup': 2,
    'dreamstride_lab': 3,
}


def test_layers_name_every_package():
    assert set(LAYERS) == set(PACKAGES)


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_imports_point_downward(name):
    """No package imports one of its own layer or above (tests included)."""
    upward = {
        f'{path.relative_to(ROOT)} imports {module}'
        for path in (ROOT / 'src' / name).rglob('*.py')
        for module in imported_modules(path)
        if module in LAYERS and module != name and LAYERS[module] >= LAYERS[name]
    }
    assert not upward, sorted(upward)


# Inside dreamstride_agent the folders follow the pipeline: the agent acts, the recorder
# stores its steps, the learner trains on the store. A stage imports the shared top-level
# modules and dreamer/, never a later stage; the learner reads the recorder's store.
AGENT_PACKAGE = ROOT / 'src/dreamstride_agent/dreamstride_agent'
STAGE_IMPORTS = {
    'acting': set(),
    'recording': set(),
    'learning': {'recording'},
}


def stages_imported(path: Path) -> set[str]:
    """The stages of dreamstride_agent that one file imports, at any depth."""
    stages = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f'{node.module}.{alias.name}' for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split('.')
            if parts[0] == 'dreamstride_agent' and len(parts) > 1 and parts[1] in STAGE_IMPORTS:
                stages.add(parts[1])
    return stages


def test_stages_name_every_folder_of_the_agent_package():
    folders = {p.name for p in AGENT_PACKAGE.iterdir() if (p / '__init__.py').exists()}
    assert folders == set(STAGE_IMPORTS) | {'dreamer'}


@pytest.mark.parametrize(
    'path',
    sorted(AGENT_PACKAGE.rglob('*.py')),
    ids=lambda path: str(path.relative_to(AGENT_PACKAGE)),
)
def test_agent_package_imports_follow_the_pipeline(path):
    relative = path.relative_to(AGENT_PACKAGE)
    own = relative.parts[0] if len(relative.parts) > 1 else None
    allowed = STAGE_IMPORTS.get(own, set()) | ({own} if own in STAGE_IMPORTS else set())
    wrong = stages_imported(path) - allowed
    assert not wrong, f'{relative} imports the stages {sorted(wrong)}'


def test_learning_code_is_free_of_ros():
    dreamer = ROOT / 'src/dreamstride_agent/dreamstride_agent/dreamer'
    for path in dreamer.rglob('*.py'):
        leaked = imported_modules(path) & ROS_MODULES
        assert not leaked, f'{path.relative_to(ROOT)} imports {sorted(leaked)}'


@pytest.mark.parametrize('relative', CORE_MODULES)
def test_core_modules_are_free_of_ros(relative):
    path = ROOT / relative
    leaked = imported_modules(path) & ROS_MODULES
    assert not leaked, f'{relative} imports {sorted(leaked)}'


def test_env_script_keeps_ros_on_localhost():
    script = (
        f'ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET; source {ROOT}/scripts/env.sh; '
        'echo "$ROS_AUTOMATIC_DISCOVERY_RANGE"'
    )
    out = subprocess.run(['bash', '-c', script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'LOCALHOST'


def test_every_source_file_names_its_licence():
    """An SPDX line in every Python file and script (the manifests say Apache-2.0)."""
    tracked = subprocess.run(
        ['git', 'ls-files', '*.py', 'scripts/*', '.ci/run'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not tracked:
        pytest.skip('not a git checkout')
    missing = [
        f
        for f in tracked
        if 'SPDX-License-Identifier: Apache-2.0' not in (ROOT / f).read_text()[:300]
    ]
    assert not missing, missing
