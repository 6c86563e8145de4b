# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Source this file to use a DreamStride workspace set up by scripts/setup:
#   source scripts/env.sh
# Activates the chosen ROS 2 distribution's virtual environment (when there is one),
# makes it the ament prefix, sources that distribution's colcon install space and keeps
# ROS traffic on this host.
#
# The distribution: DREAMSTRIDE_ROS_DISTRO (kilted or jazzy) if set, else the one the
# last `scripts/setup --distro ...` chose (.dreamstride-ros-distro), else kilted. Kilted
# lives in .venv/, build/, install/, log/; any other distribution in .venv-<distro>/,
# build-<distro>/, install-<distro>/, log-<distro>/ (one set of wheels over the other
# would leave packages behind, and dreamstride_msgs is built against one of them).

_ds_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_ds_distro="${DREAMSTRIDE_ROS_DISTRO:-}"
if [ -z "$_ds_distro" ] && [ -f "$_ds_root/.dreamstride-ros-distro" ]; then
  read -r _ds_distro < "$_ds_root/.dreamstride-ros-distro" || true
fi
_ds_distro="${_ds_distro:-kilted}"
if [ "$_ds_distro" = kilted ]; then _ds_suffix=''; else _ds_suffix="-$_ds_distro"; fi
_ds_venv="${DREAMSTRIDE_VENV:-$_ds_root/.venv$_ds_suffix}"
_ds_install="$_ds_root/install$_ds_suffix"

if [ -f "$_ds_venv/bin/activate" ]; then
  # shellcheck disable=SC1091
  . "$_ds_venv/bin/activate"
  # The ROS 2 wheels install share/, lib/ and include/ at the venv root, so the venv
  # itself is the underlay prefix.
  export AMENT_PREFIX_PATH="$_ds_venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
  export CMAKE_PREFIX_PATH="$_ds_venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
fi

if [ -f "$_ds_install/setup.bash" ]; then
  # colcon's setup scripts read unset variables; relax nounset around them.
  case $- in *u*) _ds_nounset=1; set +u ;; *) _ds_nounset=0 ;; esac
  # shellcheck disable=SC1091
  . "$_ds_install/setup.bash"
  [ "$_ds_nounset" = 1 ] && set -u
fi

# Default DDS discovery multicasts onto the network. DreamStride keeps ROS
# traffic on this host unless a real-robot run opts into SUBNET explicitly
# (dreamstride train --backend real --discovery-range SUBNET).
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
export DREAMSTRIDE_ROOT="$_ds_root"
# Which distribution this shell now uses, for messages: an apt install's where one was
# sourced (ROS_DISTRO), else the chosen one's wheels.
export DREAMSTRIDE_ACTIVE_ROS_DISTRO="${ROS_DISTRO:-$_ds_distro}"
unset _ds_root _ds_venv _ds_install _ds_distro _ds_suffix _ds_nounset
