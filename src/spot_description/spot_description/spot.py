# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Spot's joints, limits and poses: the one definition every package imports.

Values follow spot_description (bdaiinstitute) and the real robot's ROS 2 driver
(spot_ros2): joint names and order, angle conventions (hip_x about +x, hip_y and
knee about +y, radians), limits. See docs/spot_facts.md. The masses and the
body's collision box follow Boston Dynamics instead (see "Inertia" below).
"""

from __future__ import annotations

import numpy as np

LEGS: tuple[str, ...] = ('front_left', 'front_right', 'rear_left', 'rear_right')
LEG_JOINTS: tuple[str, ...] = ('hip_x', 'hip_y', 'knee')

# Joint order of spot_ros2: front_left_hip_x, front_left_hip_y, front_left_knee, ...
JOINT_NAMES: tuple[str, ...] = tuple(f'{leg}_{joint}' for leg in LEGS for joint in LEG_JOINTS)
# Longest joint name a node accepts from the network (characters): the bound every check
# of an incoming joint_states or joint trajectory applies before it reads the names.
MAX_JOINT_NAME = 128
NUM_JOINTS: int = len(JOINT_NAMES)

# Knee upper limits differ slightly per leg in spot_description (rad); rear_right from
# spot_description's spot.urdf (docs/spot_facts.md lists all four).
_KNEE_UPPER = {
    'front_left': -0.254801,
    'front_right': -0.247563,
    'rear_left': -0.267153,
    'rear_right': -0.257725,
}

# Position limits (rad), effort limits (N m), velocity limits (rad/s), in JOINT_NAMES order.
JOINT_LOWER = np.array(
    [
        {'hip_x': -0.785398, 'hip_y': -0.898845, 'knee': -2.7929}[j]
        for _ in LEGS
        for j in LEG_JOINTS
    ]
)
JOINT_UPPER = np.array(
    [
        {'hip_x': 0.785398, 'hip_y': 2.295108, 'knee': _KNEE_UPPER[leg]}[j]
        for leg in LEGS
        for j in LEG_JOINTS
    ]
)
JOINT_EFFORT = np.array(
    [{'hip_x': 45.0, 'hip_y': 45.0, 'knee': 115.0}[j] for _ in LEGS for j in LEG_JOINTS]
)
JOINT_VELOCITY = np.array(
    [{'hip_x': 17.647, 'hip_y': 17.647, 'knee': 12.0}[j] for _ in LEGS for j in LEG_JOINTS]
)

# Standing pose (rad): mujoco_menagerie's `home` keyframe, base height STANDING_HEIGHT.
STANDING_LEG = {'hip_x': 0.0, 'hip_y': 1.04, 'knee': -1.8}
STANDING_POSE = np.array([STANDING_LEG[j] for _ in LEGS for j in LEG_JOINTS])
STANDING_HEIGHT = 0.46  # m, body origin above the ground when standing

# Lying on its belly with the legs folded under the body, as Spot rests (rad).
LYING_LEG = {'hip_x': 0.0, 'hip_y': 1.55, 'knee': -2.75}
LYING_POSE = np.array([LYING_LEG[j] for _ in LEGS for j in LEG_JOINTS])

# The poses a simulated Spot can start or be reset in (the simulation builds them; the
# command line offers them).
START_POSES: tuple[str, ...] = ('standing', 'lying', 'on_back', 'random')

# Index of each joint kind in JOINT_NAMES order (for per-group rewards).
JOINT_GROUPS: dict[str, np.ndarray] = {
    j: np.array([i for i, name in enumerate(JOINT_NAMES) if name.endswith(j)]) for j in LEG_JOINTS
}

# --- Kinematics (m), spot_description convention -------------------------------------
# Each leg's sign along body x (front +1, rear -1) and y (left +1, right -1).
LEG_SIGNS: dict[str, tuple[int, int]] = {
    'front_left': (1, 1),
    'front_right': (1, -1),
    'rear_left': (-1, 1),
    'rear_right': (-1, -1),
}
HIP_X_ORIGIN = (0.29785, 0.055, 0.0)  # hip_x joint in the body frame (front-left leg)
HIP_Y_ORIGIN = (0.0, 0.110945, 0.0)  # hip_y joint in the hip frame (left legs; y mirrors)
KNEE_ORIGIN = (0.025, 0.0, -0.3205)  # knee joint in the upper-leg frame (every leg)
FOOT_ORIGIN = (0.0, 0.0, -0.3365)  # foot centre in the lower-leg frame (every leg)
FOOT_RADIUS = 0.036


def hip_x_origin(leg: str) -> np.ndarray:
    """Position of the leg's hip_x joint in the body frame (m)."""
    sx, sy = LEG_SIGNS[leg]
    return np.array(HIP_X_ORIGIN) * (sx, sy, 1)


def hip_y_origin(leg: str) -> np.ndarray:
    """Position of the leg's hip_y joint in its hip frame (m)."""
    return np.array(HIP_Y_ORIGIN) * (1, LEG_SIGNS[leg][1], 1)


# Links and frames, named as spot_description names them.
BODY_LINK = 'body'
LINK_KINDS: tuple[str, ...] = ('hip', 'upper_leg', 'lower_leg')
FOOT_FRAMES: tuple[str, ...] = tuple(f'{leg}_foot_center' for leg in LEGS)


def link_name(leg: str, kind: str) -> str:
    """Name of a leg link: ``front_left_hip``, ``rear_right_lower_leg``, ..."""
    return f'{leg}_{kind}'


# --- Inertia (kg, m, kg m^2) ----------------------------------------------------------
# The real Spot weighs 32.5 kg (Boston Dynamics, Spot SDK "About Spot": net weight).
# spot_description's masses (body 32.86 kg plus 17.48 kg of legs: 50.34 kg) come from Isaac
# Sim and overstate it by 55%; at 50 kg the scripted self-right (spot_mujoco) fails with the
# real torque limits. The legs keep spot_description's link masses (4.37 kg a leg; Boston
# Dynamics' joint-control URDF has 1.14 kg hips and 2.26 kg upper legs, close to these) and
# the body takes the rest. Body inertia: Boston Dynamics' own
# joint-control URDF (base link, 16.71 kg: 0.0815, 0.549, 0.569 kg m^2, a long box-like
# body, not spot_description's sphere-like 0.13144 guess), scaled to BODY_MASS.
ROBOT_MASS = 32.5
LEG_LINK_MASS = {'hip': 1.68, 'upper_leg': 2.34, 'lower_leg': 0.35}
BODY_MASS = ROBOT_MASS - len(LEGS) * sum(LEG_LINK_MASS.values())  # 15.02 kg
BODY_COM = (0.0063944, -0.0000981, 0.0009114)
_BD_BODY_MASS, _BD_BODY_INERTIA = 16.70765207, (0.081543792, 0.549231154, 0.569454373)
BODY_INERTIA = tuple(i * BODY_MASS / _BD_BODY_MASS for i in _BD_BODY_INERTIA)

# Per link kind, for the front-left leg (spot_description's spot.urdf): COM, principal
# moments and the rpy (rad) of the principal axes in the link frame. Other legs mirror the
# left leg in y, and the rear hips mirror the front hips in x (as mujoco_menagerie's Spot).
_LEG_LINK_COM = {
    'hip': (-0.0053743, 0.0128418, 0.0000988),
    'upper_leg': (0.0051424, -0.0024324, -0.1210092),
    'lower_leg': (0.0022579, 0.0000461, -0.1800823),
}
_LEG_LINK_PRINCIPAL = {
    'hip': (0.0021147, 0.0018130, 0.0022654),
    'upper_leg': (0.0275596, 0.0273549, 0.0028481),
    'lower_leg': (0.0039990, 0.0040503, 0.0001493),
}
_LEG_LINK_RPY = {
    'hip': (-0.7165213, 0.0295647, 0.0365523),
    'upper_leg': (-0.2643783, -0.0485317, 0.0240470),
    'lower_leg': (-0.0072669, -0.0095918, 0.0003526),
}

TOTAL_MASS = BODY_MASS + len(LEGS) * sum(LEG_LINK_MASS.values())  # ROBOT_MASS


def rpy_matrix(rpy: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """Rotation matrix of URDF roll-pitch-yaw angles (R = Rz(yaw) Ry(pitch) Rx(roll))."""
    r, p, y = rpy
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def leg_link_inertial(leg: str, kind: str) -> tuple[float, np.ndarray, np.ndarray]:
    """Mass (kg), COM (m, link frame) and 3x3 inertia about the COM (kg m^2) of a leg link."""
    sx, sy = LEG_SIGNS[leg]
    mirror = np.diag([sx if kind == 'hip' else 1, sy, 1]).astype(float)
    rot = rpy_matrix(_LEG_LINK_RPY[kind])
    inertia = rot @ np.diag(_LEG_LINK_PRINCIPAL[kind]) @ rot.T
    return LEG_LINK_MASS[kind], mirror @ np.array(_LEG_LINK_COM[kind]), mirror @ inertia @ mirror


# --- Simple geometry for collision and display (m) -------------------------------------
# Body collision box: Boston Dynamics' joint-control URDF (0.85 x 0.24 x 0.18 m, centre
# 1.5 cm below the body origin); spot_description collides with a mesh instead.
BODY_BOX_SIZE = (0.85, 0.24, 0.18)  # full length, width, height of the body box
BODY_BOX_CENTER = (0.0, 0.0, -0.015)  # in the body frame
HIP_RADIUS = 0.05  # display only; the hips carry no collision geometry, as in spot_description
UPPER_LEG_RADIUS = 0.04  # capsule from hip_y to the knee
LOWER_LEG_RADIUS = 0.02  # capsule from the knee towards the foot
LOWER_LEG_LENGTH = 0.29  # of the capsule; the foot sphere covers the rest

# Sensors: the IMU sits at the body origin, axes aligned with the body (frame `body`).
# Head camera: front of the body, looking forward and HEAD_CAMERA_PITCH (rad) down.
HEAD_CAMERA_FRAME = 'head_camera'
HEAD_CAMERA_OPTICAL_FRAME = 'head_camera_optical'  # z forward, x right, y down (REP 103)
HEAD_CAMERA_POSITION = (0.42, 0.0, 0.03)
HEAD_CAMERA_PITCH = 0.35
HEAD_CAMERA_FOVY = 1.05  # rad (60 degrees), vertical field of view

# --- Simulated actuation ---------------------------------------------------------------
# Position servos: torque = clamp(kp (target - q) - kv dq, +-JOINT_EFFORT) - MOTOR_DAMPING dq.
# kp and the hips' kv as mujoco_menagerie's Spot (500 N m/rad, 40 N m s/rad); the robot
# stands about 3 cm below its kinematic height under that stiffness and settles within a
# second. menagerie's kv 40 on the knees chatters once the torque saturates at the real
# effort limits (menagerie allows 1000 N m): clamped, the servo's damping is integrated
# explicitly, and kv dt / I must stay below about 1 (I ~ 0.014 kg m^2 for a lower leg
# about the knee), so the knees get kv 5. The rest of the damping is the motor's: effort /
# velocity limit, a linear torque-speed curve that holds a saturated joint near its real
# velocity limit, integrated implicitly (joint damping).
POSITION_KP = np.full(NUM_JOINTS, 500.0)  # N m / rad
POSITION_KV = np.array(
    [{'hip_x': 40.0, 'hip_y': 40.0, 'knee': 5.0}[j] for _ in LEGS for j in LEG_JOINTS]
)  # N m s / rad
MOTOR_DAMPING = JOINT_EFFORT / JOINT_VELOCITY  # N m s / rad: 2.55 hips, 9.58 knees
FOOT_FRICTION = 0.8
TIMESTEP = 0.002  # s, with MuJoCo's implicitfast integrator


def foot_positions(joint_positions: np.ndarray) -> np.ndarray:
    """Foot centres (m, body frame, LEGS order, shape (4, 3)) at joint angles in JOINT_NAMES order.

    Plain forward kinematics of the joint origins above; the URDF and the MJCF are tested
    against it.
    """
    q = np.asarray(joint_positions, dtype=float).reshape(len(LEGS), len(LEG_JOINTS))
    feet = np.empty((len(LEGS), 3))
    for i, leg in enumerate(LEGS):
        hip_x, hip_y, knee = q[i]
        rot_hip = rpy_matrix((hip_x, 0.0, 0.0))
        rot_upper = rot_hip @ rpy_matrix((0.0, hip_y, 0.0))
        rot_lower = rot_upper @ rpy_matrix((0.0, knee, 0.0))
        feet[i] = (
            hip_x_origin(leg)
            + rot_hip @ hip_y_origin(leg)
            + rot_upper @ np.array(KNEE_ORIGIN)
            + rot_lower @ np.array(FOOT_ORIGIN)
        )
    return feet


def standing_base_height(joint_positions: np.ndarray = STANDING_POSE) -> float:
    """Height (m) of the body origin when the lowest foot touches flat ground, body level."""
    return float(FOOT_RADIUS - foot_positions(joint_positions)[:, 2].min())


# Joints of Spot's arm as the spot_ros2 driver names them in joint_states (a Spot with
# an arm publishes them beside the 12 leg joints). The agent controls the legs only
# and ignores these.
ARM_JOINT_NAMES = ('arm_sh0', 'arm_sh1', 'arm_el0', 'arm_el1', 'arm_wr0', 'arm_wr1', 'arm_f1x')
