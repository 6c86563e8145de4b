# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Each ament_python package.xml lists exactly what the package's Python code imports.

rosdep installs what package.xml names, so a missing entry breaks a fresh install on a
ROS machine, and a stale one installs things nobody uses. The check reads every .py
file of a package with `ast` (nothing is imported), maps each top-level module to its
rosdep key with ROSDEP_KEYS, and compares with the manifest:

- installed code (the Python package and launch/) against exec_depend and depend;
- test/ and benchmarks/ against those plus test_depend;
- every exec_depend/depend must be imported by installed code, and every test_depend
  by the tests, unless RUNTIME_ONLY names it with the reason.

setup.py is left out: setuptools is the ament_python build tool, not a dependency.
"""

from pathlib import Path
import sys

from catkin_pkg.package import parse_package
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_imports import imported_modules

ROOT = Path(__file__).resolve().parents[1]
PYTHON_PACKAGES = sorted(p.parent.name for p in (ROOT / 'src').glob('*/setup.py'))

# Top-level module -> rosdep key. ROS packages are their own key. Keys from the
# ros/rosdistro rosdep database (python.yaml): Debian keys where they exist
# (python3-torch, python3-imageio), otherwise its pip keys. python3-safetensors-pip is
# not in rosdistro yet; a ROS machine needs it from a local rosdep source (or pip).
ROSDEP_KEYS = {
    'tf2_msgs': 'tf2_msgs',
    'numpy': 'python3-numpy',
    'scipy': 'python3-scipy',
    'yaml': 'python3-yaml',
    'matplotlib': 'python3-matplotlib',
    'imageio': 'python3-imageio',
    'torch': 'python3-torch',
    'safetensors': 'python3-safetensors-pip',
    'tensorboard': 'python3-tensorboard-pip',
    'rosbags': 'python3-rosbags-pip',
    'gymnasium': 'python3-gymnasium-pip',
    'mujoco': 'python3-mujoco-pip',
    'yourdfpy': 'python3-yourdfpy-pip',
    'pytest': 'python3-pytest',
    'hypothesis': 'python3-hypothesis',
    **{
        name: name
        for name in (
            'rclpy',
            'rcl_interfaces',
            'ament_index_python',
            'launch',
            'launch_ros',
            'builtin_interfaces',
            'std_msgs',
            'sensor_msgs',
            'nav_msgs',
            'trajectory_msgs',
            'geometry_msgs',
            'rosgraph_msgs',
            'webots_ros2_driver',
            'dreamstride_msgs',
            'dreamstride_agent',
            'dreamstride_bringup',
            'dreamstride_lab',
            'spot_description',
            'spot_mujoco',
            'spot_webots',
        )
    },
}

# Dependencies that no Python file imports by name, and why they are still needed.
RUNTIME_ONLY = {
    'dreamstride_agent': {
        # torch.utils.tensorboard imports it when the learner opens its event writer.
        'python3-tensorboard-pip',
    },
    'dreamstride_bringup': {
        'robot_state_publisher',  # started as a node by the launch files (rviz:=true)
        'rviz2',  # likewise
        'spot_webots',  # backend:=webots includes its launch file (package share)
        'spot_mujoco',  # the graph starts its node (backend mujoco, the default)
    },
}

TEST_DIRS = ('test', 'benchmarks')


def _scan(pkg_dir: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Map module -> files importing it, for installed code and for tests, apart."""
    # The package's own modules and folders (benchmarks.batches is benchmarks' own).
    local = {p.stem for p in pkg_dir.rglob('*.py')} | {pkg_dir.name}
    local |= set(TEST_DIRS)
    installed: dict[str, set[str]] = {}
    tests: dict[str, set[str]] = {}
    for path in sorted(pkg_dir.rglob('*.py')):
        relative = path.relative_to(pkg_dir)
        if relative == Path('setup.py'):
            continue
        target = tests if relative.parts[0] in TEST_DIRS else installed
        for module in imported_modules(path) - local - set(sys.stdlib_module_names):
            target.setdefault(module, set()).add(str(relative))
    return installed, tests


def _keys(pkg: str, modules: dict[str, set[str]]) -> set[str]:
    unknown = {m: sorted(files) for m, files in modules.items() if m not in ROSDEP_KEYS}
    assert not unknown, (
        f'{pkg}: no rosdep key known for {unknown}; add the module to '
        'ROSDEP_KEYS in tests/test_manifests.py and to package.xml'
    )
    return {ROSDEP_KEYS[m] for m in modules}


def _files(modules: dict[str, set[str]], key: str) -> list[str]:
    return sorted(f for m, files in modules.items() if ROSDEP_KEYS[m] == key for f in files)


def test_every_python_package_is_checked():
    # A new package is found by itself; these must never drop out of the check.
    assert {
        'dreamstride_agent',
        'dreamstride_bringup',
        'dreamstride_lab',
        'spot_description',
        'spot_mujoco',
        'spot_webots',
    } <= set(PYTHON_PACKAGES)
    assert set(RUNTIME_ONLY) <= set(PYTHON_PACKAGES)


@pytest.mark.parametrize('pkg', PYTHON_PACKAGES)
def test_imports_match_manifest(pkg):
    pkg_dir = ROOT / 'src' / pkg
    manifest = parse_package(str(pkg_dir))
    run_deps = {d.name for d in manifest.exec_depends}  # <depend> is counted here too
    test_deps = {d.name for d in manifest.test_depends}
    installed, tests = _scan(pkg_dir)
    run_needed = _keys(pkg, installed) - {pkg}
    test_needed = _keys(pkg, tests) - {pkg}
    runtime_only = RUNTIME_ONLY.get(pkg, set())

    missing = run_needed - run_deps
    assert not missing, f'{pkg}/package.xml lacks exec_depend ' + ', '.join(
        f'{key} (imported in {_files(installed, key)})' for key in sorted(missing)
    )
    missing_test = test_needed - run_deps - test_deps
    assert not missing_test, f'{pkg}/package.xml lacks test_depend {sorted(missing_test)}'

    unused = run_deps - run_needed - runtime_only
    assert not unused, (
        f'{pkg}/package.xml: exec_depend {sorted(unused)} imported by no '
        'installed file (remove it, or list it in RUNTIME_ONLY with why)'
    )
    unused_test = test_deps - test_needed
    assert not unused_test, f'{pkg}/package.xml: test_depend {sorted(unused_test)} unused'
    stale = runtime_only & run_needed
    assert not stale, f'{pkg}: {sorted(stale)} is imported now; drop it from RUNTIME_ONLY'


def test_scan_sees_nested_and_fromimported_modules(tmp_path):
    pkg = tmp_path / 'demo'
    (pkg / 'demo').mkdir(parents=True)
    (pkg / 'demo' / 'helper.py').write_text('')
    (pkg / 'demo' / 'node.py').write_text(
        'import os\nfrom . import helper\nimport helper\n'
        'def f():\n    from scipy.signal import butter\n    import torch.nn as nn\n'
    )
    (pkg / 'test').mkdir()
    (pkg / 'test' / 'test_x.py').write_text('import pytest\nfrom demo import node\n')
    installed, tests = _scan(pkg)
    assert set(installed) == {'scipy', 'torch'}
    assert set(tests) == {'pytest'}
