# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Generate Spot's URDF (robot_state_publisher, RViz) from the parameters in spot.py.

Links and joints are named as bdaiinstitute/spot_description names them: ``body``, a
``base_link`` carrying the body's inertia (KDL ignores a root link's inertia),
``<leg>_hip``, ``<leg>_upper_leg``, ``<leg>_lower_leg`` and the fixed foot frames
``<leg>_foot_center``. Geometry is simple (boxes, cylinders, spheres); kinematics, masses,
inertias and limits are the real robot's.

Run ``python -m spot_description.urdf [PATH]`` (console script ``generate_urdf``) to write it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
from spot_description import spot
from spot_description.model_output import write_model

_COLOURS = {'black': '0.1 0.1 0.1 1', 'yellow': '0.878 0.667 0.227 1'}


def _fmt(values: np.ndarray | tuple[float, ...] | list[float]) -> str:
    return ' '.join(f'{float(v):.9g}' for v in values)


def _origin(parent: ET.Element, xyz=(0.0, 0.0, 0.0), rpy=(0.0, 0.0, 0.0)) -> None:
    ET.SubElement(parent, 'origin', xyz=_fmt(xyz), rpy=_fmt(rpy))


def _inertial(link: ET.Element, mass: float, com, inertia: np.ndarray) -> None:
    inertial = ET.SubElement(link, 'inertial')
    _origin(inertial, com)
    ET.SubElement(inertial, 'mass', value=f'{mass:.9g}')
    ET.SubElement(
        inertial,
        'inertia',
        **{
            name: f'{inertia[i, j]:.9g}'
            for name, (i, j) in {
                'ixx': (0, 0),
                'ixy': (0, 1),
                'ixz': (0, 2),
                'iyy': (1, 1),
                'iyz': (1, 2),
                'izz': (2, 2),
            }.items()
        },
    )


def _shape(
    link: ET.Element,
    kinds: tuple[str, ...],
    geometry: tuple[str, dict[str, str]],
    xyz=(0.0, 0.0, 0.0),
    rpy=(0.0, 0.0, 0.0),
    colour: str | None = None,
) -> None:
    for kind in kinds:
        element = ET.SubElement(link, kind)
        _origin(element, xyz, rpy)
        ET.SubElement(ET.SubElement(element, 'geometry'), geometry[0], **geometry[1])
        if kind == 'visual' and colour:
            ET.SubElement(element, 'material', name=colour)


def _segment(
    link: ET.Element, end: np.ndarray, radius: float, colour: str, collision: bool
) -> None:
    """Cylinder from the link origin to ``end`` (in the xz plane, as Spot's legs are)."""
    length = float(np.linalg.norm(end))
    pitch = float(np.arctan2(-end[0], -end[2]))  # rotates the cylinder's +z onto -end
    kinds = ('visual', 'collision') if collision else ('visual',)
    _shape(
        link,
        kinds,
        ('cylinder', {'radius': f'{radius:.9g}', 'length': f'{length:.9g}'}),
        xyz=end / 2,
        rpy=(0.0, pitch, 0.0),
        colour=colour,
    )


def _joint(
    robot: ET.Element, name: str, kind: str, parent: str, child: str, xyz, rpy=(0.0, 0.0, 0.0)
) -> ET.Element:
    joint = ET.SubElement(robot, 'joint', name=name, type=kind)
    _origin(joint, xyz, rpy)
    ET.SubElement(joint, 'parent', link=parent)
    ET.SubElement(joint, 'child', link=child)
    return joint


def _revolute(robot: ET.Element, name: str, parent: str, child: str, xyz, axis) -> None:
    joint = _joint(robot, name, 'revolute', parent, child, xyz)
    ET.SubElement(joint, 'axis', xyz=_fmt(axis))
    i = spot.JOINT_NAMES.index(name)
    ET.SubElement(
        joint,
        'limit',
        lower=f'{spot.JOINT_LOWER[i]:.9g}',
        upper=f'{spot.JOINT_UPPER[i]:.9g}',
        effort=f'{spot.JOINT_EFFORT[i]:.9g}',
        velocity=f'{spot.JOINT_VELOCITY[i]:.9g}',
    )


def generate_urdf(name: str = 'spot') -> str:
    """Return Spot's URDF as an XML string."""
    robot = ET.Element('robot', name=name)
    for colour, rgba in _COLOURS.items():
        ET.SubElement(ET.SubElement(robot, 'material', name=colour), 'color', rgba=rgba)

    body = ET.SubElement(robot, 'link', name=spot.BODY_LINK)
    _shape(
        body,
        ('visual', 'collision'),
        ('box', {'size': _fmt(spot.BODY_BOX_SIZE)}),
        xyz=spot.BODY_BOX_CENTER,
        colour='yellow',
    )
    base = ET.SubElement(robot, 'link', name='base_link')
    _inertial(base, spot.BODY_MASS, spot.BODY_COM, np.diag(spot.BODY_INERTIA))
    _joint(robot, 'base_link_joint', 'fixed', spot.BODY_LINK, 'base_link', (0.0, 0.0, 0.0))

    for leg in spot.LEGS:
        hip, upper, lower = (spot.link_name(leg, kind) for kind in spot.LINK_KINDS)
        links = {
            kind: ET.SubElement(robot, 'link', name=spot.link_name(leg, kind))
            for kind in spot.LINK_KINDS
        }
        for kind, link in links.items():
            _inertial(link, *spot.leg_link_inertial(leg, kind))
        _shape(
            links['hip'],
            ('visual',),
            ('sphere', {'radius': f'{spot.HIP_RADIUS:.9g}'}),
            colour='black',
        )
        _segment(
            links['upper_leg'],
            np.array(spot.KNEE_ORIGIN),
            spot.UPPER_LEG_RADIUS,
            'yellow',
            collision=True,
        )
        _segment(
            links['lower_leg'],
            np.array(spot.FOOT_ORIGIN),
            spot.LOWER_LEG_RADIUS,
            'black',
            collision=False,
        )
        _shape(
            links['lower_leg'],
            ('visual', 'collision'),
            ('sphere', {'radius': f'{spot.FOOT_RADIUS:.9g}'}),
            xyz=spot.FOOT_ORIGIN,
            colour='black',
        )
        _revolute(robot, f'{leg}_hip_x', spot.BODY_LINK, hip, spot.hip_x_origin(leg), (1, 0, 0))
        _revolute(robot, f'{leg}_hip_y', hip, upper, spot.hip_y_origin(leg), (0, 1, 0))
        _revolute(robot, f'{leg}_knee', upper, lower, spot.KNEE_ORIGIN, (0, 1, 0))
        foot = f'{leg}_foot_center'
        ET.SubElement(robot, 'link', name=foot)
        _joint(robot, f'{foot}_joint', 'fixed', lower, foot, spot.FOOT_ORIGIN)

    ET.SubElement(robot, 'link', name=spot.HEAD_CAMERA_FRAME)
    _joint(
        robot,
        f'{spot.HEAD_CAMERA_FRAME}_joint',
        'fixed',
        spot.BODY_LINK,
        spot.HEAD_CAMERA_FRAME,
        spot.HEAD_CAMERA_POSITION,
        (0.0, spot.HEAD_CAMERA_PITCH, 0.0),
    )
    ET.SubElement(robot, 'link', name=spot.HEAD_CAMERA_OPTICAL_FRAME)
    _joint(
        robot,
        f'{spot.HEAD_CAMERA_OPTICAL_FRAME}_joint',
        'fixed',
        spot.HEAD_CAMERA_FRAME,
        spot.HEAD_CAMERA_OPTICAL_FRAME,
        (0.0, 0.0, 0.0),
        (-np.pi / 2, 0.0, -np.pi / 2),
    )

    ET.indent(robot)
    header = (
        '<?xml version="1.0"?>\n'
        '<!-- Generated by spot_description.urdf.generate_urdf(); do not edit. -->\n'
    )
    return header + ET.tostring(robot, encoding='unicode') + '\n'


def main(argv: list[str] | None = None) -> None:
    """Write the URDF to a file, or to standard output."""
    write_model(generate_urdf, __doc__, argv)


if __name__ == '__main__':
    main()
