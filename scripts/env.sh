# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Source this file to use a DreamStride workspace set up by scripts/setup:
#   source scripts/env.sh
# Activates the virtual environment (when there is one), makes it the ament
# prefix, sources the colcon install space and keeps ROS traffic on this host.

_ds_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_ds_venv="${DREAMSTRIDE_VENV:-$_ds_root/.venv}"

if [ -f "$_ds_venv/bin/activate" ]; then
  # shellcheck disable=SC1091
  . "$_ds_venv/bin/activate"
  # The ROS 2 wheels install share/, lib/ and include/ at the venv root, so the
  # venv itself is the underlay prefix.
  export AMENT_PREFIX_PATH="$_ds_venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
  export CMAKE_PREFIX_PATH="$_ds_venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
fi

if [ -f "$_ds_root/install/setup.bash" ]; then
  # colcon's setup scripts read unset variables; relax nounset around them.
  case $- in *u*) _ds_nounset=1; set +u ;; *) _ds_nounset=0 ;; esac
  # shellcheck disable=SC1091
  . "$_ds_root/install/setup.bash"
  [ "$_ds_nounset" = 1 ] && set -u
fi

# Default DDS discovery multicasts onto the network. DreamStride keeps ROS
# traffic on this host unless a real-robot run opts into SUBNET explicitly
# (dreamstride train --backend real --discovery-range SUBNET).
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
export DREAMSTRIDE_ROOT="$_ds_root"
unset _ds_root _ds_venv _ds_nounset
