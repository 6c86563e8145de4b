# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Spot in MuJoCo, without ROS: step, command position servos, reset, read sensors, render.

The ROS node (sim_node.py) is a thin adapter around SpotSimulation; tests, benchmarks and
offline tools use the class directly. Joint arrays are in spot_description's JOINT_NAMES
order and convention (rad); quaternions are (w, x, y, z), MuJoCo's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import os

import mujoco
import numpy as np
from numpy.typing import ArrayLike
from spot_description import mjcf, spot
import spot_mujoco

POSES: tuple[str, ...] = spot.START_POSES

# A reset puts the lowest point of the robot this far above the ground (m); 'random' drops
# the robot from a height drawn from RANDOM_DROP_HEIGHT.
RESET_CLEARANCE = 0.001
RANDOM_DROP_HEIGHT = (0.05, 0.3)
_UPSIDE_DOWN = np.array([0.0, 1.0, 0.0, 0.0])  # half a turn about the body x axis


_GL_HINT = (
    ' Use MUJOCO_GL=egl (Mesa libEGL, apt install libegl1 libgl1-mesa-dri) or '
    'MUJOCO_GL=osmesa (apt install libosmesa6).'
)


class RenderingUnavailableError(RuntimeError):
    """Off-screen rendering could not start (no EGL/OSMesa, or MUJOCO_GL set wrongly)."""


@dataclass(frozen=True)
class ImuNoise:
    """Standard deviations of zero-mean Gaussian noise added to the IMU readings."""

    orientation: float = 0.0  # rad, of a small random rotation
    gyro: float = 0.0  # rad/s
    accel: float = 0.0  # m/s^2


@dataclass(frozen=True)
class JointReading:
    """Joint positions (rad), velocities (rad/s) and torques (N m), JOINT_NAMES order.

    The torque is what the motor delivers: the servo's, less the motor's own damping.
    """

    position: np.ndarray
    velocity: np.ndarray
    effort: np.ndarray


@dataclass(frozen=True)
class SimulatedImu:
    """IMU at the body origin, axes of the body frame (like the real robot's, no bias)."""

    orientation: np.ndarray  # (w, x, y, z), body relative to the world (z up)
    angular_velocity: np.ndarray  # rad/s, body frame
    linear_acceleration: np.ndarray  # m/s^2, body frame, includes gravity (+9.81 z at rest)


@dataclass(frozen=True)
class BodyState:
    """Ground-truth body pose in the world (odom) and twist in the body frame."""

    position: np.ndarray  # m, world
    orientation: np.ndarray  # (w, x, y, z), world
    linear_velocity: np.ndarray  # m/s, body frame
    angular_velocity: np.ndarray  # rad/s, body frame


# The parts of the robot a floor contact is sorted into: the feet, and the rest, which a
# walking robot must keep off the floor (knees and shins, thighs, the body).
CONTACT_PARTS: tuple[str, ...] = ('foot', 'lower_leg', 'upper_leg', 'body')


@dataclass(frozen=True)
class FloorContacts:
    """Which robot parts touch the floor now; per-leg arrays are in LEGS order."""

    feet: np.ndarray  # bool (4,)
    lower_legs: np.ndarray  # bool (4,): knee and shin capsules
    upper_legs: np.ndarray  # bool (4,)
    body: bool
    foot_slip: np.ndarray  # (4,) m/s horizontal speed of each foot's contact point, nan if off

    @property
    def non_foot(self) -> bool:
        """Whether anything but a foot touches the floor."""
        return bool(self.body or self.lower_legs.any() or self.upper_legs.any())

    @property
    def only_feet(self) -> bool:
        """Whether the robot stands on its feet alone (at least one foot down, nothing else)."""
        return bool(self.feet.any() and not self.non_foot)


class SpotSimulation:
    """Spot on flat ground in MuJoCo, position servos on the 12 leg joints.

    Args:
        timestep: physics step (s).
        seed: seed of the simulation's random generator (random resets, IMU noise);
            None draws one from the operating system.
        imu_noise: noise added to the IMU readings (default none).
        pose: initial pose, one of POSES.
        model_xml: MJCF to load instead of spot_description's generated model (its joint,
            actuator, site and sensor names must be the same).

    """

    def __init__(
        self,
        *,
        timestep: float = spot.TIMESTEP,
        seed: int | None = None,
        imu_noise: ImuNoise = ImuNoise(),
        pose: str = 'standing',
        model_xml: str | None = None,
    ) -> None:
        if not (timestep > 0 and np.isfinite(timestep)):
            raise ValueError(f'timestep must be positive, got {timestep}')
        self.model = mujoco.MjModel.from_xml_string(
            model_xml if model_xml is not None else mjcf.generate_mjcf(timestep=timestep)
        )
        self.model.opt.timestep = timestep
        self.data = mujoco.MjData(self.model)
        self.imu_noise = imu_noise
        self.clamped_targets = 0  # joint targets clamped to the limits since start
        self._rng = np.random.default_rng(seed)
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}

        model = self.model
        self._qpos = np.array([model.joint(n).qposadr[0] for n in spot.JOINT_NAMES])
        self._qvel = np.array([model.joint(n).dofadr[0] for n in spot.JOINT_NAMES])
        self._actuators = np.array([model.actuator(n).id for n in spot.JOINT_NAMES])
        root = model.body(spot.BODY_LINK).jntadr[0]
        self._root_qpos = model.jnt_qposadr[root]
        self._root_qvel = model.jnt_dofadr[root]
        self._sensors = {
            name: slice(
                model.sensor(name).adr[0], model.sensor(name).adr[0] + model.sensor(name).dim[0]
            )
            for name in mjcf.IMU_SENSORS
        }
        # Geoms that can touch the ground: everything of the robot that collides.
        robot = np.flatnonzero(
            (model.geom_bodyid > 0) & ((model.geom_contype != 0) | (model.geom_conaffinity != 0))
        )
        self._robot_geoms = robot
        # Each colliding robot geom's part (CONTACT_PARTS index) and leg (LEGS index, -1 for
        # the body), by the names spot_description's MJCF gives them, so a contact tells
        # a foot from a knee.
        self._geom_part = np.full(model.ngeom, -1)
        self._geom_leg = np.full(model.ngeom, -1)
        for g in robot:
            body = model.body(model.geom_bodyid[g]).name
            for leg_index, leg in enumerate(spot.LEGS):
                if model.geom(g).name == f'{leg}_foot':
                    part = 'foot'
                elif body in (spot.link_name(leg, 'lower_leg'), spot.link_name(leg, 'upper_leg')):
                    part = body.removeprefix(f'{leg}_')
                else:
                    continue
                self._geom_part[g] = CONTACT_PARTS.index(part)
                self._geom_leg[g] = leg_index
                break
            else:  # the body box, and anything else on the body
                self._geom_part[g] = CONTACT_PARTS.index('body')
        self._floor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, mjcf.FLOOR)
        self.reset(pose)

    # --- time and stepping ---------------------------------------------------------------
    @property
    def time(self) -> float:
        """Simulated time (s); continues through resets."""
        return float(self.data.time)

    @property
    def timestep(self) -> float:
        """Physics step (s)."""
        return float(self.model.opt.timestep)

    def step(self, n: int = 1) -> None:
        """Advance the physics by ``n`` steps."""
        if n > 0:
            mujoco.mj_step(self.model, self.data, nstep=int(n))

    # --- commands ------------------------------------------------------------------------
    @property
    def position_targets(self) -> np.ndarray:
        """Current servo targets (rad), JOINT_NAMES order."""
        return self.data.ctrl[self._actuators].copy()

    def set_position_targets(self, targets: Mapping[str, float] | ArrayLike) -> list[str]:
        """Set servo targets, by joint name (any subset) or as a full array in JOINT_NAMES order.

        Targets outside the joint limits are clamped to them. Raises ValueError, changing
        nothing, for unknown names, a wrong array length or non-finite values.

        Returns:
            The names of the joints whose targets were clamped (also counted in
            ``clamped_targets``).

        """
        wanted = self.position_targets
        if isinstance(targets, Mapping):
            unknown = sorted(set(targets) - set(spot.JOINT_NAMES))
            if unknown:
                raise ValueError(f'unknown joint name(s) {unknown}')
            index = np.array([spot.JOINT_NAMES.index(n) for n in targets], dtype=int)
            values = np.array([targets[n] for n in targets], dtype=float)
        else:
            values = np.asarray(targets, dtype=float)
            if values.shape != (spot.NUM_JOINTS,):
                raise ValueError(f'expected {spot.NUM_JOINTS} targets, got shape {values.shape}')
            index = np.arange(spot.NUM_JOINTS)
        if not np.all(np.isfinite(values)):
            raise ValueError('non-finite target(s)')
        clipped = np.clip(values, spot.JOINT_LOWER[index], spot.JOINT_UPPER[index])
        clamped = [spot.JOINT_NAMES[i] for i in index[clipped != values]]
        wanted[index] = clipped
        self.data.ctrl[self._actuators] = wanted
        self.clamped_targets += len(clamped)
        return clamped

    def move_to(
        self, target: ArrayLike, ticks: int, max_step: float, period: float = 0.05
    ) -> np.ndarray:
        """Drive the servo targets towards ``target`` as a rate-limited controller would.

        For ``ticks`` control periods of ``period`` s, each target moves at most ``max_step``
        rad towards ``target`` (rad, JOINT_NAMES order) and the physics runs one period.

        Returns:
            The body's up axis z component (body_z_axis()[2]) after each tick.

        """
        target = np.asarray(target, dtype=float)
        if target.shape != (spot.NUM_JOINTS,):
            raise ValueError(f'expected {spot.NUM_JOINTS} targets, got shape {target.shape}')
        if not max_step > 0:
            raise ValueError(f'max_step must be positive, got {max_step}')
        steps = max(1, round(period / self.timestep))
        up = np.empty(int(ticks))
        for tick in range(int(ticks)):
            current = self.position_targets
            self.set_position_targets(current + np.clip(target - current, -max_step, max_step))
            self.step(steps)
            up[tick] = self.body_z_axis()[2]
        return up

    # --- resets --------------------------------------------------------------------------
    def reset(
        self,
        pose: str = 'standing',
        seed: int | None = None,
        *,
        yaw: float = 0.0,
        joint_noise: float = 0.0,
    ) -> None:
        """Put the robot back at the origin, at rest, servos holding the new joint angles.

        Args:
            pose: 'standing' (standing pose on the ground), 'lying' (upright, on its belly,
                legs folded), 'on_back' (lying on its back,
                legs in the air, body z axis pointing down) or 'random' (random
                orientation and joint angles, dropped from a small height).
            seed: seed for 'random' and the joint noise; None draws from the simulation's
                generator.
            yaw: heading (rad) about the world z axis of the 'standing', 'lying' and
                'on_back' poses.
            joint_noise: standard deviation (rad) of Gaussian noise added to the joint
                angles of those poses (clipped to the limits), so that evaluations from
                one pose start from states that really differ.

        Simulated time is not reset: it keeps running forward, as a ROS clock must.

        """
        if pose not in POSES:
            raise ValueError(f'unknown pose {pose!r}; expected one of {POSES}')
        rng = self._rng if seed is None else np.random.default_rng(seed)
        now = self.data.time
        mujoco.mj_resetData(self.model, self.data)
        self.data.time = now
        heading = np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
        noise = rng.normal(0.0, joint_noise, spot.NUM_JOINTS) if joint_noise > 0 else 0.0

        def joints(pose_joints: np.ndarray) -> np.ndarray:
            return np.clip(pose_joints + noise, spot.JOINT_LOWER, spot.JOINT_UPPER)

        if pose == 'standing':
            self._place(heading, joints(spot.STANDING_POSE), RESET_CLEARANCE)
        elif pose == 'lying':
            self._place(heading, joints(spot.LYING_POSE), RESET_CLEARANCE)
        elif pose == 'on_back':
            upside_down = np.empty(4)
            mujoco.mju_mulQuat(upside_down, heading, _UPSIDE_DOWN)
            self._place(upside_down, joints(spot.STANDING_POSE), RESET_CLEARANCE)
        else:
            for _ in range(100):  # redraw poses in which the legs touch the body or each other
                quat = rng.normal(size=4)
                joints = rng.uniform(spot.JOINT_LOWER, spot.JOINT_UPPER)
                self._place(quat / np.linalg.norm(quat), joints, rng.uniform(*RANDOM_DROP_HEIGHT))
                if self.data.ncon == 0:
                    break
        self.data.ctrl[self._actuators] = self.data.qpos[self._qpos]
        mujoco.mj_forward(self.model, self.data)

    def _place(self, quat: np.ndarray, joints: np.ndarray, clearance: float) -> None:
        """Set orientation and joint angles; lift the body so its lowest point is at clearance."""
        root = self._root_qpos
        self.data.qpos[root : root + 3] = 0.0
        self.data.qpos[root + 3 : root + 7] = quat
        self.data.qpos[self._qpos] = joints
        mujoco.mj_kinematics(self.model, self.data)
        self.data.qpos[root + 2] = clearance - self._lowest_point()
        mujoco.mj_forward(self.model, self.data)

    def _lowest_point(self) -> float:
        """Lowest world z of the robot's collision geometry (spheres, capsules, boxes)."""
        model, data = self.model, self.data
        lowest = np.inf
        for g in self._robot_geoms:
            z, size = data.geom_xpos[g, 2], model.geom_size[g]
            axes = data.geom_xmat[g].reshape(3, 3)
            kind = model.geom_type[g]
            if kind == mujoco.mjtGeom.mjGEOM_SPHERE:
                bottom = z - size[0]
            elif kind == mujoco.mjtGeom.mjGEOM_CAPSULE:
                bottom = z - abs(axes[2, 2]) * size[1] - size[0]
            elif kind == mujoco.mjtGeom.mjGEOM_BOX:
                bottom = z - np.abs(axes[2]) @ size
            else:  # a bounding sphere will do
                bottom = z - model.geom_rbound[g]
            lowest = min(lowest, bottom)
        return float(lowest)

    # --- sensors -------------------------------------------------------------------------
    def joints(self) -> JointReading:
        """Joint positions, velocities and torques, JOINT_NAMES order."""
        return JointReading(
            position=self.data.qpos[self._qpos].copy(),
            velocity=self.data.qvel[self._qvel].copy(),
            effort=self.data.actuator_force[self._actuators] + self.data.qfrc_damper[self._qvel],
        )

    def imu(self) -> SimulatedImu:
        """IMU readings, with the configured noise."""
        data, noise = self.data.sensordata, self.imu_noise
        quat, gyro, accel = (data[self._sensors[name]].copy() for name in mjcf.IMU_SENSORS)
        if noise.orientation > 0:
            tilt = np.empty(4)
            axis, angle = _axis_angle(self._rng.normal(0, noise.orientation, 3))
            mujoco.mju_axisAngle2Quat(tilt, axis, angle)
            mujoco.mju_mulQuat(quat, quat.copy(), tilt)
        if noise.gyro > 0:
            gyro += self._rng.normal(0, noise.gyro, 3)
        if noise.accel > 0:
            accel += self._rng.normal(0, noise.accel, 3)
        return SimulatedImu(orientation=quat, angular_velocity=gyro, linear_acceleration=accel)

    def body_state(self) -> BodyState:
        """Ground-truth pose and body-frame twist of the body."""
        q, v = self._root_qpos, self._root_qvel
        quat = self.data.qpos[q + 3 : q + 7].copy()
        rotation = self.data.xmat[self.model.body(spot.BODY_LINK).id].reshape(3, 3)
        return BodyState(
            position=self.data.qpos[q : q + 3].copy(),
            orientation=quat,
            # a free joint's linear velocity is in the world frame, its
            # angular velocity in the body frame
            linear_velocity=rotation.T @ self.data.qvel[v : v + 3],
            angular_velocity=self.data.qvel[v + 3 : v + 6].copy(),
        )

    def body_z_axis(self) -> np.ndarray:
        """Return the body's z axis in the world: (0, 0, 1) upright, (0, 0, -1) on its back."""
        return self.data.xmat[self.model.body(spot.BODY_LINK).id].reshape(3, 3)[:, 2].copy()

    def body_yaw(self) -> float:
        """Heading (rad, -pi..pi): the body x axis' direction in the world's horizontal plane.

        Defined as long as the body x axis is not vertical; on its back the robot's heading
        is still where its head points.
        """
        x_axis = self.data.xmat[self.model.body(spot.BODY_LINK).id].reshape(3, 3)[:, 0]
        return float(np.arctan2(x_axis[1], x_axis[0]))

    def floor_contacts(self) -> FloorContacts:
        """Which robot parts touch the floor now, and how fast each foot in contact slides.

        A foot's slip is the horizontal speed of its contact point (the foot sphere's point
        on the floor, rolling included), the mean if it has several contacts.
        """
        model, data = self.model, self.data
        touching = np.zeros((len(CONTACT_PARTS), len(spot.LEGS)), dtype=bool)
        body = False
        slip_sum, slip_count = np.zeros(len(spot.LEGS)), np.zeros(len(spot.LEGS))
        velocity = np.empty(6)
        for contact in data.contact[: data.ncon]:
            pair = (contact.geom1, contact.geom2)
            if self._floor not in pair:
                continue
            geom = pair[1] if pair[0] == self._floor else pair[0]
            part, leg = self._geom_part[geom], self._geom_leg[geom]
            if part < 0:
                continue
            if leg < 0:
                body = True
                continue
            touching[part, leg] = True
            if CONTACT_PARTS[part] == 'foot':
                # [angular, linear] at the geom's centre, world frame; moved to the contact
                # point, so a foot that rolls in place does not count as slipping.
                mujoco.mj_objectVelocity(model, data, mujoco.mjtObj.mjOBJ_GEOM, geom, velocity, 0)
                lever = contact.pos - data.geom_xpos[geom]
                point = velocity[3:] + np.cross(velocity[:3], lever)
                slip_sum[leg] += float(np.hypot(point[0], point[1]))
                slip_count[leg] += 1
        with np.errstate(invalid='ignore', divide='ignore'):
            slip = np.where(slip_count > 0, slip_sum / slip_count, np.nan)
        return FloorContacts(
            feet=touching[CONTACT_PARTS.index('foot')],
            lower_legs=touching[CONTACT_PARTS.index('lower_leg')],
            upper_legs=touching[CONTACT_PARTS.index('upper_leg')],
            body=body,
            foot_slip=slip,
        )

    def foot_positions(self) -> np.ndarray:
        """Foot centres in the world (m), LEGS order, shape (4, 3)."""
        return np.array([self.data.site(frame).xpos for frame in spot.FOOT_FRAMES])

    # --- rendering -----------------------------------------------------------------------
    def render(
        self, camera: str = mjcf.TRACK_CAMERA, width: int = 64, height: int = 64
    ) -> np.ndarray:
        """Render an RGB image (height, width, 3) uint8 from a camera of the model.

        Cameras: 'head' (onboard, looking forward and down) and 'track' (follows the
        robot from its left side). Raises RenderingUnavailableError when no off-screen GL
        context can be made (MUJOCO_GL=egl needs libEGL/Mesa, osmesa needs libosmesa6).

        """
        renderer = self._renderer(int(width), int(height))
        renderer.update_scene(self.data, camera=camera)
        return renderer.render()

    def _renderer(self, width: int, height: int) -> mujoco.Renderer:
        renderer = self._renderers.get((width, height))
        if renderer is None:
            if spot_mujoco.GL_PROBLEM:
                raise RenderingUnavailableError(
                    f'off-screen rendering failed: {spot_mujoco.GL_PROBLEM}.{_GL_HINT}'
                )
            offscreen = self.model.vis.global_
            offscreen.offwidth = max(offscreen.offwidth, width)
            offscreen.offheight = max(offscreen.offheight, height)
            try:
                renderer = mujoco.Renderer(self.model, height=height, width=width)
            except Exception as error:  # the GL back ends raise several kinds
                raise RenderingUnavailableError(
                    f'off-screen rendering with MUJOCO_GL={os.environ.get("MUJOCO_GL", "")} '
                    f'failed: {type(error).__name__}: {error}.{_GL_HINT}'
                ) from error
            # Shadows and reflections cost much more than the rest of a 64x64 frame.
            renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
            renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
            self._renderers[(width, height)] = renderer
        return renderer

    def close(self) -> None:
        """Release the renderers' GL contexts."""
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()

    def __enter__(self) -> SpotSimulation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _axis_angle(rotation_vector: np.ndarray) -> tuple[np.ndarray, float]:
    angle = float(np.linalg.norm(rotation_vector))
    if angle == 0.0:
        return np.array([1.0, 0.0, 0.0]), 0.0
    return rotation_vector / angle, angle
