# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Generate Spot's MuJoCo model (MJCF) from the parameters in spot.py.

Bodies, joints and sites are named as in the URDF (``body``, ``<leg>_hip``,
``<leg>_upper_leg``, ``<leg>_lower_leg``, joints in JOINT_NAMES, foot sites
``<leg>_foot_center``); actuators are named after their joints and come in JOINT_NAMES
order. The model also holds a floor, an IMU site ``imu`` in the body frame with sensors
``imu_quat`` (framequat), ``imu_gyro`` and ``imu_accel``, a head camera ``head`` and a
camera ``track`` that follows the robot from the side (for evaluation videos), and a
keyframe ``home`` standing on the ground.

Run ``python -m spot_description.mjcf [PATH]`` (console script ``generate_mjcf``) to write it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
from numpy.typing import ArrayLike
from spot_description import spot
from spot_description.model_output import write_model

IMU_SITE = 'imu'
IMU_SENSORS = ('imu_quat', 'imu_gyro', 'imu_accel')
HEAD_CAMERA = 'head'
TRACK_CAMERA = 'track'
FLOOR = 'floor'
HOME_KEYFRAME = 'home'


def _fmt(values) -> str:
    return ' '.join(f'{float(v):.9g}' for v in np.atleast_1d(values))


def _sub(parent: ET.Element, tag: str, **attributes) -> ET.Element:
    return ET.SubElement(
        parent, tag, {k: v if isinstance(v, str) else _fmt(v) for k, v in attributes.items()}
    )


def _inertial(body: ET.Element, mass: float, com, inertia: np.ndarray) -> None:
    _sub(
        body,
        'inertial',
        pos=com,
        mass=mass,
        fullinertia=[
            inertia[0, 0],
            inertia[1, 1],
            inertia[2, 2],
            inertia[0, 1],
            inertia[0, 2],
            inertia[1, 2],
        ],
    )


def _per_joint(values: ArrayLike) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=float), (spot.NUM_JOINTS,))


def generate_mjcf(
    *,
    timestep: float = spot.TIMESTEP,
    kp: ArrayLike = spot.POSITION_KP,
    kv: ArrayLike = spot.POSITION_KV,
    motor_damping: ArrayLike = spot.MOTOR_DAMPING,
    foot_friction: float = spot.FOOT_FRICTION,
    effort_limits: bool = True,
    floor: bool = True,
    offscreen_size: tuple[int, int] = (640, 480),
) -> str:
    """Return Spot's MJCF as an XML string.

    The servo model and the reasons for its gains are in spot.py, "Simulated actuation".

    Args:
        timestep: physics time step (s); integrator implicitfast.
        kp: position-servo stiffness (N m / rad), one value or one per joint.
        kv: position-servo damping (N m s / rad), one value or one per joint.
        motor_damping: joint damping (N m s / rad), one value or one per joint.
        foot_friction: sliding friction coefficient of the feet.
        effort_limits: clamp servo torques to JOINT_EFFORT (otherwise unlimited).
        floor: include a ground plane.
        offscreen_size: largest off-screen render (width, height) in pixels.

    """
    kp, kv, motor_damping = _per_joint(kp), _per_joint(kv), _per_joint(motor_damping)

    def joint(body: ET.Element, name: str, axis) -> None:
        i = spot.JOINT_NAMES.index(name)
        _sub(
            body,
            'joint',
            name=name,
            axis=axis,
            damping=motor_damping[i],
            range=[spot.JOINT_LOWER[i], spot.JOINT_UPPER[i]],
        )

    mujoco = ET.Element('mujoco', model='spot')
    _sub(mujoco, 'compiler', angle='radian', autolimits='true')
    # Elliptic friction cones with impratio 10, as mujoco_menagerie's Spot: feet slip less.
    _sub(
        mujoco,
        'option',
        timestep=timestep,
        integrator='implicitfast',
        cone='elliptic',
        impratio=10,
    )
    visual = _sub(mujoco, 'visual')
    _sub(visual, 'global', offwidth=offscreen_size[0], offheight=offscreen_size[1])
    _sub(visual, 'headlight', ambient=[0.4] * 3, diffuse=[0.6] * 3, specular=[0.1] * 3)

    asset = _sub(mujoco, 'asset')
    _sub(
        asset,
        'texture',
        name='grid',
        type='2d',
        builtin='checker',
        width=256,
        height=256,
        rgb1=[0.25, 0.3, 0.35],
        rgb2=[0.45, 0.5, 0.55],
        mark='edge',
        markrgb=[0.8] * 3,
    )
    _sub(
        asset,
        'texture',
        name='sky',
        type='skybox',
        builtin='gradient',
        width=64,
        height=64,
        rgb1=[0.55, 0.7, 0.85],
        rgb2=[0.1, 0.15, 0.2],
    )
    _sub(asset, 'material', name='grid', texture='grid', texrepeat=[1, 1], texuniform='true')
    _sub(asset, 'material', name='yellow', rgba=[0.878, 0.667, 0.227, 1])
    _sub(asset, 'material', name='black', rgba=[0.1, 0.1, 0.1, 1])

    default = _sub(_sub(mujoco, 'default'), 'default', **{'class': 'spot'})
    _sub(default, 'geom', solref=[0.004, 1])
    _sub(default, 'position', inheritrange=1)
    _sub(
        _sub(default, 'default', **{'class': 'visual'}),
        'geom',
        group=2,
        contype=0,
        conaffinity=0,
        material='black',
    )
    # mujoco_menagerie's feet: soft (they sink about 1.3 cm under the standing robot), with
    # rolling friction (condim 6).
    _sub(
        _sub(default, 'default', **{'class': 'foot'}),
        'geom',
        type='sphere',
        size=spot.FOOT_RADIUS,
        pos=spot.FOOT_ORIGIN,
        priority=1,
        condim=6,
        friction=[foot_friction, 0.02, 0.01],
        solimp=[0.015, 1, 0.031],
        material='black',
    )

    world = _sub(mujoco, 'worldbody')
    _sub(
        world,
        'light',
        name='sun',
        directional='true',
        pos=[0, 0, 5],
        dir=[-0.3, 0.3, -1],
        diffuse=[0.5] * 3,
        castshadow='false',
    )
    if floor:
        _sub(world, 'geom', name=FLOOR, type='plane', size=[0, 0, 0.05], material='grid')

    q_home = spot.STANDING_POSE
    base = _sub(
        world,
        'body',
        name=spot.BODY_LINK,
        pos=[0, 0, spot.standing_base_height()],
        childclass='spot',
    )
    _sub(base, 'freejoint', name='root')
    _inertial(base, spot.BODY_MASS, spot.BODY_COM, np.diag(spot.BODY_INERTIA))
    _sub(
        base,
        'geom',
        name=spot.BODY_LINK,
        type='box',
        size=np.array(spot.BODY_BOX_SIZE) / 2,
        pos=spot.BODY_BOX_CENTER,
        material='yellow',
    )
    _sub(base, 'site', name=IMU_SITE, size=0.01, group=4)
    pitch = spot.HEAD_CAMERA_PITCH
    _sub(
        base,
        'camera',
        name=HEAD_CAMERA,
        pos=spot.HEAD_CAMERA_POSITION,
        xyaxes=[0, -1, 0, np.sin(pitch), 0, np.cos(pitch)],
        fovy=np.degrees(spot.HEAD_CAMERA_FOVY),
    )
    # Follows the robot's centre of mass from its left side; orientation fixed in the world.
    _sub(
        base,
        'camera',
        name=TRACK_CAMERA,
        mode='trackcom',
        pos=[0, -2.0, 0.5],
        xyaxes=[1, 0, 0, 0, 0.25, 1],
        fovy=45,
    )

    for leg in spot.LEGS:
        names = {kind: spot.link_name(leg, kind) for kind in spot.LINK_KINDS}
        hip = _sub(base, 'body', name=names['hip'], pos=spot.hip_x_origin(leg))
        _inertial(hip, *spot.leg_link_inertial(leg, 'hip'))
        joint(hip, f'{leg}_hip_x', [1, 0, 0])
        _sub(hip, 'geom', type='sphere', size=spot.HIP_RADIUS, **{'class': 'visual'})

        upper = _sub(hip, 'body', name=names['upper_leg'], pos=spot.hip_y_origin(leg))
        _inertial(upper, *spot.leg_link_inertial(leg, 'upper_leg'))
        joint(upper, f'{leg}_hip_y', [0, 1, 0])
        _sub(
            upper,
            'geom',
            name=names['upper_leg'],
            type='capsule',
            size=spot.UPPER_LEG_RADIUS,
            fromto=[0, 0, 0, *spot.KNEE_ORIGIN],
            material='yellow',
        )

        lower = _sub(upper, 'body', name=names['lower_leg'], pos=spot.KNEE_ORIGIN)
        _inertial(lower, *spot.leg_link_inertial(leg, 'lower_leg'))
        joint(lower, f'{leg}_knee', [0, 1, 0])
        _sub(
            lower,
            'geom',
            name=names['lower_leg'],
            type='capsule',
            size=spot.LOWER_LEG_RADIUS,
            fromto=[0, 0, 0, 0, 0, -spot.LOWER_LEG_LENGTH],
            material='black',
        )
        _sub(lower, 'geom', name=f'{leg}_foot', **{'class': 'foot'})
        _sub(lower, 'site', name=f'{leg}_foot_center', pos=spot.FOOT_ORIGIN, size=0.01, group=4)

    # The upper legs sit close to the body box (as in mujoco_menagerie's Spot).
    contact = _sub(mujoco, 'contact')
    for leg in spot.LEGS:
        _sub(contact, 'exclude', body1=spot.BODY_LINK, body2=spot.link_name(leg, 'upper_leg'))

    actuator = _sub(mujoco, 'actuator')
    for i, name in enumerate(spot.JOINT_NAMES):
        servo = {'name': name, 'joint': name, 'class': 'spot', 'kp': kp[i], 'kv': kv[i]}
        if effort_limits:
            servo['forcerange'] = [-spot.JOINT_EFFORT[i], spot.JOINT_EFFORT[i]]
        _sub(actuator, 'position', **servo)

    sensor = _sub(mujoco, 'sensor')
    quat, gyro, accel = IMU_SENSORS
    _sub(sensor, 'framequat', name=quat, objtype='site', objname=IMU_SITE)
    _sub(sensor, 'gyro', name=gyro, site=IMU_SITE)
    _sub(sensor, 'accelerometer', name=accel, site=IMU_SITE)

    _sub(
        _sub(mujoco, 'keyframe'),
        'key',
        name=HOME_KEYFRAME,
        qpos=[0, 0, spot.standing_base_height(), 1, 0, 0, 0, *q_home],
        ctrl=q_home,
    )

    ET.indent(mujoco)
    return (
        '<!-- Generated by spot_description.mjcf.generate_mjcf(); do not edit. -->\n'
        + ET.tostring(mujoco, encoding='unicode')
        + '\n'
    )


def main(argv: list[str] | None = None) -> None:
    """Write the MJCF to a file, or to standard output."""
    write_model(generate_mjcf, __doc__, argv)


if __name__ == '__main__':
    main()
