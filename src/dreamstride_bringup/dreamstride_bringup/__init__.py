"""DreamStride bringup.

The node graph (defined once), launch files, parameter files, RViz configuration and
the ``dreamstride`` command.
"""
