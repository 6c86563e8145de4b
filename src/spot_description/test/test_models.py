# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The URDF and the MJCF are generated from one source and agree with the real robot."""

import io
from pathlib import Path

import mujoco
import numpy as np
import pytest
from spot_description import mjcf, spot, urdf
import yourdfpy

PACKAGE = Path(__file__).resolve().parents[1]
# The real robot's net weight (Boston Dynamics, Spot SDK "About Spot"), not spot_description's
# 50.34 kg; the legs keep spot_description's link masses: hip 1.68, upper leg 2.34, lower
# leg 0.35 kg (x4).
FACTS_TOTAL_MASS = 32.5
FACTS_LEG_MASS = 1.68 + 2.34 + 0.35


@pytest.fixture(scope='module')
def robot() -> yourdfpy.URDF:
    return yourdfpy.URDF.load(
        io.StringIO(urdf.generate_urdf()), load_meshes=False, build_collision_scene_graph=False
    )


@pytest.fixture(scope='module')
def model() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_string(mjcf.generate_mjcf())


def configurations() -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    named = [
        spot.STANDING_POSE,
        spot.JOINT_LOWER,
        spot.JOINT_UPPER,
        np.tile([0.12, 0.72, -1.45], 4),
        np.tile([-0.15, 1.30, -2.25], 4),
        np.zeros(spot.NUM_JOINTS),
    ]
    return named + [rng.uniform(spot.JOINT_LOWER, spot.JOINT_UPPER) for _ in range(6)]


def urdf_feet(robot: yourdfpy.URDF, q: np.ndarray) -> np.ndarray:
    robot.update_cfg(dict(zip(spot.JOINT_NAMES, q, strict=True)))
    return np.array([robot.get_transform(frame, 'body')[:3, 3] for frame in spot.FOOT_FRAMES])


def mjcf_feet(model: mujoco.MjModel, q: np.ndarray) -> np.ndarray:
    data = mujoco.MjData(model)
    data.qpos[:7] = [0, 0, 0, 1, 0, 0, 0]  # body at the world origin: world = body frame
    for name, value in zip(spot.JOINT_NAMES, q, strict=True):
        data.qpos[model.joint(name).qposadr[0]] = value
    mujoco.mj_kinematics(model, data)
    return np.array([data.site(frame).xpos for frame in spot.FOOT_FRAMES])


@pytest.mark.parametrize('index', range(len(configurations())))
def test_urdf_and_mjcf_feet_agree(robot, model, index):
    q = configurations()[index]
    from_urdf, from_mjcf = urdf_feet(robot, q), mjcf_feet(model, q)
    np.testing.assert_allclose(from_urdf, from_mjcf, atol=1e-3)
    np.testing.assert_allclose(from_urdf, spot.foot_positions(q), atol=1e-6)


def test_standing_feet_are_under_the_hips_at_the_standing_height():
    feet = spot.foot_positions(spot.STANDING_POSE)
    assert spot.standing_base_height() == pytest.approx(spot.STANDING_HEIGHT, abs=0.01)
    for leg, foot in zip(spot.LEGS, feet, strict=True):
        hip = spot.hip_x_origin(leg)
        assert abs(foot[0] - hip[0]) < 0.05 and np.sign(foot[1]) == np.sign(hip[1])


def test_total_mass_matches_the_facts(robot, model):
    urdf_mass = sum(link.inertial.mass for link in robot.link_map.values() if link.inertial)
    mjcf_mass = float(model.body_mass.sum())
    assert spot.TOTAL_MASS == pytest.approx(FACTS_TOTAL_MASS, rel=1e-9)
    assert urdf_mass == pytest.approx(FACTS_TOTAL_MASS, rel=0.02)
    assert mjcf_mass == pytest.approx(FACTS_TOTAL_MASS, rel=0.02)
    assert urdf_mass == pytest.approx(mjcf_mass, rel=1e-6)
    legs = [
        model.body(spot.link_name(leg, kind)).mass[0]
        for leg in spot.LEGS
        for kind in spot.LINK_KINDS
    ]
    assert sum(legs) == pytest.approx(4 * FACTS_LEG_MASS)


def test_body_collision_box_and_inertia_are_boston_dynamics(model):
    # Boston Dynamics' joint-control URDF: a 0.85 x 0.24 x 0.18 m box 1.5 cm below the
    # origin; its base inertia (0.0815, 0.549, 0.569 kg m^2 at 16.71 kg) scaled to our body.
    body = model.geom(spot.BODY_LINK)
    np.testing.assert_allclose(body.size * 2, [0.85, 0.24, 0.18])
    np.testing.assert_allclose(body.pos, [0.0, 0.0, -0.015])
    scale = model.body(spot.BODY_LINK).mass[0] / 16.70765207
    np.testing.assert_allclose(
        np.sort(model.body(spot.BODY_LINK).inertia),
        np.array([0.081543792, 0.549231154, 0.569454373]) * scale,
        rtol=1e-6,
    )


def test_link_inertias_agree(robot, model):
    for leg in spot.LEGS:
        for kind in spot.LINK_KINDS:
            name = spot.link_name(leg, kind)
            inertial = robot.link_map[name].inertial
            assert inertial.mass == pytest.approx(model.body(name).mass[0])
            np.testing.assert_allclose(inertial.origin[:3, 3], model.body(name).ipos, atol=1e-9)
            # MuJoCo stores principal moments; compare them with the URDF tensor's eigenvalues.
            np.testing.assert_allclose(
                np.sort(np.linalg.eigvalsh(inertial.inertia)),
                np.sort(model.body(name).inertia),
                rtol=1e-5,
            )


def test_urdf_names_and_limits(robot):
    assert robot.validate()
    assert robot.base_link == 'body'
    assert robot.actuated_joint_names == list(spot.JOINT_NAMES)
    expected_links = {'body', *spot.FOOT_FRAMES} | {
        spot.link_name(leg, kind) for leg in spot.LEGS for kind in spot.LINK_KINDS
    }
    assert expected_links <= set(robot.link_map)
    for i, name in enumerate(spot.JOINT_NAMES):
        joint = robot.joint_map[name]
        assert joint.type == 'revolute'
        assert (joint.limit.lower, joint.limit.upper) == pytest.approx(
            (spot.JOINT_LOWER[i], spot.JOINT_UPPER[i])
        )
        assert joint.limit.effort == spot.JOINT_EFFORT[i]
        assert joint.limit.velocity == spot.JOINT_VELOCITY[i]
        axis = {'hip_x': [1, 0, 0], 'hip_y': [0, 1, 0], 'knee': [0, 1, 0]}[name.split('_', 2)[2]]
        np.testing.assert_array_equal(joint.axis, axis)


def test_mjcf_simulation_settings(model):
    assert model.opt.timestep == 0.002
    assert model.opt.integrator == mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    assert model.nu == spot.NUM_JOINTS
    for i, name in enumerate(spot.JOINT_NAMES):
        actuator = model.actuator(name)
        assert model.joint(actuator.trnid[0]).name == name
        assert actuator.gainprm[0] == spot.POSITION_KP[i]
        assert actuator.biasprm[1:3] == pytest.approx([-spot.POSITION_KP[i], -spot.POSITION_KV[i]])
        assert model.joint(name).damping[0] == pytest.approx(spot.MOTOR_DAMPING[i])
        assert actuator.forcerange == pytest.approx([-spot.JOINT_EFFORT[i], spot.JOINT_EFFORT[i]])
        assert actuator.ctrlrange == pytest.approx([spot.JOINT_LOWER[i], spot.JOINT_UPPER[i]])
        assert model.joint(name).range == pytest.approx(actuator.ctrlrange)
    for leg in spot.LEGS:
        assert model.geom(f'{leg}_foot').friction[0] == 0.8
        assert model.geom(f'{leg}_foot').size[0] == spot.FOOT_RADIUS
    assert model.geom(mjcf.FLOOR).type == mujoco.mjtGeom.mjGEOM_PLANE
    for camera in (mjcf.HEAD_CAMERA, mjcf.TRACK_CAMERA):
        model.camera(camera)
    assert model.camera(mjcf.TRACK_CAMERA).mode == mujoco.mjtCamLight.mjCAMLIGHT_TRACKCOM
    kinds = [model.sensor(name).type for name in mjcf.IMU_SENSORS]
    assert kinds == [
        mujoco.mjtSensor.mjSENS_FRAMEQUAT,
        mujoco.mjtSensor.mjSENS_GYRO,
        mujoco.mjtSensor.mjSENS_ACCELEROMETER,
    ]
    home = model.key(mjcf.HOME_KEYFRAME)
    np.testing.assert_allclose(home.qpos[7:], spot.STANDING_POSE)
    np.testing.assert_allclose(home.ctrl, spot.STANDING_POSE)


def test_mjcf_options():
    model = mujoco.MjModel.from_xml_string(
        mjcf.generate_mjcf(
            timestep=0.001,
            kp=300.0,
            kv=np.arange(12.0),
            motor_damping=0.0,
            foot_friction=1.0,
            effort_limits=False,
            floor=False,
        )
    )
    assert model.opt.timestep == 0.001
    assert np.all(model.actuator_gainprm[:, 0] == 300.0)
    np.testing.assert_array_equal(model.actuator_biasprm[:, 2], -np.arange(12.0))
    assert not model.dof_damping.any()
    assert model.geom('front_left_foot').friction[0] == 1.0
    assert not model.actuator_forcelimited.any()
    with pytest.raises(KeyError):
        model.geom(mjcf.FLOOR)


def test_installed_urdf_is_generated_and_up_to_date():
    assert (PACKAGE / 'urdf' / 'spot.urdf').read_text() == urdf.generate_urdf(), (
        'urdf/spot.urdf is stale: run python -m spot_description.urdf '
        'src/spot_description/urdf/spot.urdf'
    )


def test_generators_write_files(tmp_path):
    urdf.main([str(tmp_path / 'spot.urdf')])
    mjcf.main([str(tmp_path / 'spot.xml')])
    assert (tmp_path / 'spot.urdf').read_text() == urdf.generate_urdf()
    mujoco.MjModel.from_xml_path(str(tmp_path / 'spot.xml'))


def test_rpy_matrix_is_urdf_convention():
    np.testing.assert_allclose(
        spot.rpy_matrix((0.0, 0.0, np.pi / 2)) @ [1, 0, 0], [0, 1, 0], atol=1e-12
    )
    np.testing.assert_allclose(
        spot.rpy_matrix((0.0, np.pi / 2, 0.0)) @ [0, 0, 1], [1, 0, 0], atol=1e-12
    )
    rotation = spot.rpy_matrix((0.3, -0.2, 1.1))
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
