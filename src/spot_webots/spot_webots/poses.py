# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Webots Spot geometry, rotations, and the body placement of each reset pose.

Plain numpy, no ROS and no Webots. The leg chain transcribes SpotLeg.proto (cyberbotics/
webots, projects/robots/boston_dynamics/spot/protos): it places feet and knees to lift a
reset robot clear of the ground, and the tests use it to check the conversion's signs and
offsets against the PROTO's own joint axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from spot_description import spot
from spot_webots.conversion import WEBOTS_LOWER, WEBOTS_UPPER, JointConversion

POSES: tuple[str, ...] = spot.START_POSES

# --- SpotLeg.proto, m; x components mirror with the side (left -1, right +1) ------------
# Each leg's Pose in the robot: translation per end, and a rotation of 120 degrees about
# (1, -1, -1) that maps leg x to body -y, leg y to body +z, leg z to body -x (the PROTO's
# "0.577350 -0.577354 -0.577346 2.094389", which is this matrix to 1e-5).
LEG_TRANSLATION = {'front': (0.3635, 0.0, 0.0118), 'rear': (-0.3084, 0.0, 0.0117)}
LEG_ROTATION = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
ABDUCTION_ANCHOR = (0.0528, 0.0006, 0.0)  # in the leg frame; the hinge turns about leg z
ROTATION_ANCHOR = (0.0, -0.00053, 0.0)  # in the shoulder; the hinge turns about leg x
ELBOW_ANCHOR = (0.1122, -0.319729, 0.182338)  # in the upper arm; turns about leg x
FOOT_CENTRE = (0.001038, -0.271321, -0.225038)  # in the forearm: the foot cylinder's axis
FOOT_RADIUS = 0.035094
KNEE_RADIUS = 0.04  # about the elbow: the upper arm's and forearm's bounding shapes there

# A box (body frame) that holds every box of the PROTO's body bounding object, a little
# generous: the lowest point of a reset robot is taken from it, the knees and the feet.
BODY_BOX_MIN = (-0.50, -0.12, -0.14)
BODY_BOX_MAX = (0.57, 0.12, 0.135)

# A reset leaves the lowest point of the robot this far above the ground (m); the estimate
# of that point is a few millimetres conservative, so the robot drops about that much.
RESET_CLEARANCE = 0.005
# 'random' drops the robot from a height drawn from this range (m), as spot_mujoco does.
RANDOM_DROP_HEIGHT = (0.05, 0.3)


def axis_rotation(axis: tuple[float, float, float] | np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix of ``angle`` (rad) about ``axis`` (normalised here)."""
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def quaternion_to_matrix(wxyz: np.ndarray) -> np.ndarray:
    """Rotation matrix of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(wxyz, dtype=float) / np.linalg.norm(wxyz)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def matrix_to_quaternion(matrix: np.ndarray) -> np.ndarray:
    """Return the unit quaternion (w, x, y, z), w >= 0, of a rotation matrix."""
    m = np.asarray(matrix, dtype=float).reshape(3, 3)
    trace = np.trace(m)
    if trace > 0:
        s = 2.0 * np.sqrt(1.0 + trace)
        q = np.array(
            [s / 4, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
        )
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = np.empty(4)
        q[0] = (m[k, j] - m[j, k]) / s
        q[1 + i] = s / 4
        q[1 + j] = (m[j, i] + m[i, j]) / s
        q[1 + k] = (m[k, i] + m[i, k]) / s
    q /= np.linalg.norm(q)
    return -q if q[0] < 0 else q


def axis_angle_to_quaternion(rotation: np.ndarray) -> np.ndarray:
    """Quaternion (w, x, y, z) of a Webots SFRotation (x, y, z, angle)."""
    x, y, z, angle = (float(v) for v in rotation)
    norm = float(np.linalg.norm((x, y, z)))
    if norm == 0.0:
        return np.array([1.0, 0.0, 0.0, 0.0])
    s = np.sin(angle / 2) / norm
    return np.array([np.cos(angle / 2), x * s, y * s, z * s])


def quaternion_to_axis_angle(wxyz: np.ndarray) -> np.ndarray:
    """Webots SFRotation (x, y, z, angle), angle in [0, pi], of a quaternion (w, x, y, z)."""
    q = np.asarray(wxyz, dtype=float) / np.linalg.norm(wxyz)
    if q[0] < 0:
        q = -q
    sin_half = float(np.linalg.norm(q[1:]))
    if sin_half < 1e-12:
        return np.array([0.0, 0.0, 1.0, 0.0])
    return np.array([*(q[1:] / sin_half), 2.0 * np.arctan2(sin_half, q[0])])


def _side(leg: str) -> float:
    return -1.0 if leg.endswith('left') else 1.0


def leg_points(leg: str, abduction: float, rotation: float, elbow: float) -> dict[str, np.ndarray]:
    """Joint axes and foot of one Webots leg in the body frame (m), joint angles Webots' (rad).

    Returns ``abduction``, ``rotation``, ``elbow`` (points on each hinge axis) and ``foot``
    (the foot cylinder's centre). A hinge turns its child solid about its anchor; in
    SpotLeg.proto each child's translation equals its joint's anchor, so each link frame
    starts at the anchor, rotated by the joint angle.
    """
    side = _side(leg)
    mirror = np.array([side, 1.0, 1.0])
    origin = np.array(LEG_TRANSLATION[leg.split('_')[0]])
    r_abduction = axis_rotation((0.0, 0.0, 1.0), abduction)
    r_rotation = r_abduction @ axis_rotation((1.0, 0.0, 0.0), rotation)
    r_elbow = r_rotation @ axis_rotation((1.0, 0.0, 0.0), elbow)
    p_abduction = mirror * ABDUCTION_ANCHOR
    p_rotation = p_abduction + r_abduction @ np.array(ROTATION_ANCHOR)
    p_elbow = p_rotation + r_rotation @ (mirror * ELBOW_ANCHOR)
    p_foot = p_elbow + r_elbow @ (mirror * FOOT_CENTRE)
    return {
        name: origin + LEG_ROTATION @ p
        for name, p in (
            ('abduction', p_abduction),
            ('rotation', p_rotation),
            ('elbow', p_elbow),
            ('foot', p_foot),
        )
    }


def leg_positions(webots_positions: np.ndarray) -> dict[str, np.ndarray]:
    """Every leg's points (see :func:`leg_points`), each stacked as (4, 3) in LEGS order."""
    q = np.asarray(webots_positions, dtype=float).reshape(len(spot.LEGS), len(spot.LEG_JOINTS))
    points = [leg_points(leg, *q[i]) for i, leg in enumerate(spot.LEGS)]
    return {name: np.array([p[name] for p in points]) for name in points[0]}


def lowest_point(rotation: np.ndarray, webots_positions: np.ndarray) -> float:
    """Lowest world z (m) of the robot, body origin at z = 0, rotated by matrix ``rotation``."""
    corners = np.array(
        [
            [x, y, z]
            for x in (BODY_BOX_MIN[0], BODY_BOX_MAX[0])
            for y in (BODY_BOX_MIN[1], BODY_BOX_MAX[1])
            for z in (BODY_BOX_MIN[2], BODY_BOX_MAX[2])
        ]
    )
    points = leg_positions(webots_positions)
    return float(
        min(
            (corners @ rotation.T)[:, 2].min(),
            (points['elbow'] @ rotation.T)[:, 2].min() - KNEE_RADIUS,
            (points['foot'] @ rotation.T)[:, 2].min() - FOOT_RADIUS,
        )
    )


@dataclass(frozen=True)
class ResetPose:
    """Where a reset puts the robot: body height and orientation, joint angles."""

    height: float  # m, body origin above the ground
    rotation: np.ndarray  # Webots SFRotation (x, y, z, angle)
    joints: np.ndarray  # rad, contract convention, JOINT_NAMES order


def reset_pose(
    pose: str, conversion: JointConversion, rng: np.random.Generator | None = None
) -> ResetPose:
    """Body height, orientation and joint angles of a reset to ``pose`` (one of POSES).

    'standing': spot_description's standing pose, upright, feet just above the ground.
    'lying': spot_description's lying pose (on the belly, legs folded), upright, the
    lowest of knees, feet and body just above the ground.
    'on_back': the standing joint angles, turned half a turn about the body x axis.
    'random': a uniformly random orientation and joint angles drawn within both
    spot_description's and the Webots motors' limits, dropped from RANDOM_DROP_HEIGHT.
    """
    if pose == 'standing':
        rotation, joints, clearance = np.array([0.0, 0.0, 1.0, 0.0]), spot.STANDING_POSE, None
    elif pose == 'lying':
        rotation, joints, clearance = np.array([0.0, 0.0, 1.0, 0.0]), spot.LYING_POSE, None
    elif pose == 'on_back':
        rotation, joints, clearance = np.array([1.0, 0.0, 0.0, np.pi]), spot.STANDING_POSE, None
    elif pose == 'random':
        rng = rng if rng is not None else np.random.default_rng()
        quat = rng.normal(size=4)
        rotation = quaternion_to_axis_angle(quat / np.linalg.norm(quat))
        webots_lower, webots_upper = conversion.contract_limits(WEBOTS_LOWER, WEBOTS_UPPER)
        joints = rng.uniform(
            np.maximum(spot.JOINT_LOWER, webots_lower), np.minimum(spot.JOINT_UPPER, webots_upper)
        )
        clearance = float(rng.uniform(*RANDOM_DROP_HEIGHT))
    else:
        raise ValueError(f'unknown pose {pose!r}; expected one of {POSES}')
    joints = np.array(joints, dtype=float)
    matrix = axis_rotation(rotation[:3], rotation[3])
    lowest = lowest_point(matrix, conversion.to_webots(joints))
    height = (RESET_CLEARANCE if clearance is None else clearance) - lowest
    return ResetPose(height=float(height), rotation=rotation, joints=joints)
