# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Joint names, signs, zero offsets and limits between the Webots Spot and the robot contract.

Plain numpy, no ROS and no Webots: the plugin calls it at the edge, tests call it directly.

The Webots Spot PROTO (``projects/robots/boston_dynamics/spot/protos/Spot.proto`` and
``SpotLeg.proto`` in cyberbotics/webots) is a different model from spot_description: other
link lengths, other joint axes, another zero pose. The contract speaks spot_description's
convention (hip_x about body +x, hip_y and knee about body +y, zero = straight leg pointing
down); this module converts with ``contract = sign * webots + offset`` per joint.

Signs
-----
Every SpotLeg sits in a frame rotated 120 degrees about (1, -1, -1) from the body, which maps
leg x to body -y, leg y to body +z and leg z to body -x. The abduction hinge turns about leg
z, the shoulder rotation and elbow hinges about leg x (HingeJointParameters' default axis),
on the left and right legs alike. So abduction turns about body -x and rotation and elbow
about body -y: every sign is -1 (Webots' own demo splays the left legs out with abduction
-0.4 and the right ones with +0.4).

Zero offsets
------------
The offsets make one contract angle mean the same leg shape in both models: thigh (hip_y
axis to knee axis) and shank (knee axis to foot centre) point in the same directions in the
body's sagittal plane. With phi(v) = atan2(-v_x, -v_z) the angle of a link vector from
straight down (positive when the foot swings backwards, like a positive rotation about +y),
and the links at zero joint angles in the body frame:

- Webots thigh: elbow anchor in the upper arm (y, z) = (-0.319729, 0.182338), body
  (x, z) = (-0.182338, -0.319729), 0.368 m, phi = +0.5183 (the crouch leans the thigh back);
- Webots shank: foot centre in the forearm (y, z) = (-0.271321, -0.225038), body (x, z) =
  (0.225038, -0.271321), 0.353 m, phi = -0.6924 (shank forward, foot 0.579 m below the hip);
- spot_description thigh: KNEE_ORIGIN (0.025, -0.3205), phi = -0.0778; shank: FOOT_ORIGIN
  (0, -0.3365), phi = 0.

A thigh turns by +hip_y in spot_description and by -rotation in Webots; a shank by
hip_y + knee and by -(rotation + elbow). Equal directions give

    hip_y = -rotation + (phi_W,thigh - phi_SD,thigh)                      offset +0.5961
    knee  = -elbow + (phi_W,shank - phi_W,thigh) - (phi_SD,shank - phi_SD,thigh)  -1.2886

and hip_x = -abduction (both legs hang vertically at zero abduction). The offsets are
computed below from those PROTO numbers, not typed in; the plugin takes overrides from the
URDF should a Webots release change the leg (see README.md). Webots' zero pose is hip_y
0.596, knee -1.289 in the contract; spot_description's standing pose (hip_y 1.04, knee -1.8)
is rotation -0.444, elbow 0.511 in Webots.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
from spot_description import spot

# Webots' words for the legs (LEGS order) and the joints (LEG_JOINTS order).
WEBOTS_LEGS: dict[str, str] = {
    'front_left': 'front left',
    'front_right': 'front right',
    'rear_left': 'rear left',
    'rear_right': 'rear right',
}
WEBOTS_JOINTS: dict[str, str] = {
    'hip_x': 'shoulder abduction',
    'hip_y': 'shoulder rotation',
    'knee': 'elbow',
}

# Device names in spot_description's JOINT_NAMES order.
MOTOR_NAMES: tuple[str, ...] = tuple(
    f'{WEBOTS_LEGS[leg]} {WEBOTS_JOINTS[joint]} motor'
    for leg in spot.LEGS
    for joint in spot.LEG_JOINTS
)
SENSOR_NAMES: tuple[str, ...] = tuple(
    f'{WEBOTS_LEGS[leg]} {WEBOTS_JOINTS[joint]} sensor'
    for leg in spot.LEGS
    for joint in spot.LEG_JOINTS
)

# The PROTO's other devices that this package uses (the IMU plugin, the camera).
INERTIAL_UNIT = 'inertial unit'
GYRO = 'gyro'
ACCELEROMETER = 'accelerometer'
CAMERAS: tuple[str, ...] = (
    'left head camera',
    'right head camera',
    'left flank camera',
    'right flank camera',
    'rear camera',
)

# RotationalMotor limits (rad, Webots convention) and torque (N m), per joint kind.
WEBOTS_JOINT_LIMITS: dict[str, tuple[float, float]] = {
    'hip_x': (-0.6, 0.5),
    'hip_y': (-1.7, 1.7),
    'knee': (-0.45, 1.6),
}
MAX_TORQUE = 50.0
WEBOTS_LOWER = np.array([WEBOTS_JOINT_LIMITS[j][0] for _ in spot.LEGS for j in spot.LEG_JOINTS])
WEBOTS_UPPER = np.array([WEBOTS_JOINT_LIMITS[j][1] for _ in spot.LEGS for j in spot.LEG_JOINTS])

# Sign of each Webots joint axis relative to spot_description's (see the module docstring).
AXIS_SIGN: dict[str, float] = {'hip_x': -1.0, 'hip_y': -1.0, 'knee': -1.0}

# Links at zero joint angles in the body's sagittal plane, (x, z) in m (module docstring).
WEBOTS_THIGH = (-0.182338, -0.319729)
WEBOTS_SHANK = (0.225038, -0.271321)
DESCRIPTION_THIGH = (spot.KNEE_ORIGIN[0], spot.KNEE_ORIGIN[2])
DESCRIPTION_SHANK = (spot.FOOT_ORIGIN[0], spot.FOOT_ORIGIN[2])


def link_angle(vector: tuple[float, float]) -> float:
    """Angle (rad) of a sagittal link vector (x, z) from straight down; + swings it backwards."""
    x, z = vector
    return math.atan2(-x, -z)


def _derived_offsets() -> dict[str, float]:
    hip_y = link_angle(WEBOTS_THIGH) - link_angle(DESCRIPTION_THIGH)
    knee = (link_angle(WEBOTS_SHANK) - link_angle(WEBOTS_THIGH)) - (
        link_angle(DESCRIPTION_SHANK) - link_angle(DESCRIPTION_THIGH)
    )
    return {'hip_x': 0.0, 'hip_y': hip_y, 'knee': knee}


# Contract angle (rad) of each joint kind at Webots' zero: hip_x 0, hip_y 0.5961, knee -1.2886.
ZERO_OFFSET: dict[str, float] = _derived_offsets()


@dataclass(frozen=True)
class JointConversion:
    """Per-joint ``contract = sign * webots + offset``, arrays in JOINT_NAMES order.

    Built from one sign and one offset per joint kind (the legs are alike); the plugin makes
    one from the defaults or from offsets given in the URDF.
    """

    sign: np.ndarray
    offset: np.ndarray

    @classmethod
    def for_kinds(
        cls, offsets: dict[str, float] | None = None, signs: dict[str, float] | None = None
    ) -> JointConversion:
        """Conversion with the given per-kind offsets and signs (defaults: derived above)."""
        offsets = {**ZERO_OFFSET, **(offsets or {})}
        signs = {**AXIS_SIGN, **(signs or {})}
        if any(abs(s) != 1.0 for s in signs.values()):
            raise ValueError(f'axis signs must be +1 or -1, got {signs}')
        if not all(math.isfinite(o) for o in offsets.values()):
            raise ValueError(f'zero offsets must be finite, got {offsets}')
        kinds = [joint for _ in spot.LEGS for joint in spot.LEG_JOINTS]
        return cls(
            sign=np.array([signs[k] for k in kinds]), offset=np.array([offsets[k] for k in kinds])
        )

    def to_contract(self, webots_positions: np.ndarray) -> np.ndarray:
        """Joint angles (rad): Webots convention to the contract's."""
        return self.sign * np.asarray(webots_positions, dtype=float) + self.offset

    def to_webots(self, contract_positions: np.ndarray) -> np.ndarray:
        """Joint angles (rad): the contract's convention to Webots'."""
        return self.sign * (np.asarray(contract_positions, dtype=float) - self.offset)

    def rate_to_contract(self, webots_rates: np.ndarray) -> np.ndarray:
        """Velocities (rad/s) or torques (N m) about the joint axis: offsets do not apply."""
        return self.sign * np.asarray(webots_rates, dtype=float)

    def contract_limits(
        self, lower: np.ndarray = WEBOTS_LOWER, upper: np.ndarray = WEBOTS_UPPER
    ) -> tuple[np.ndarray, np.ndarray]:
        """Webots joint limits expressed in the contract's convention (lower, upper)."""
        a, b = self.to_contract(lower), self.to_contract(upper)
        return np.minimum(a, b), np.maximum(a, b)


def clamp(
    positions: np.ndarray, lower: np.ndarray = WEBOTS_LOWER, upper: np.ndarray = WEBOTS_UPPER
) -> tuple[np.ndarray, np.ndarray]:
    """Clamp joint positions to [lower, upper]; return them and a mask of the clamped ones."""
    positions = np.asarray(positions, dtype=float)
    clamped = np.clip(positions, lower, upper)
    return clamped, clamped != positions
