"""Entry point: `osken-manager --config-file etc/overlay.conf apps/overlay.py`.

osken-manager runs the OSKenApp subclass defined in the module it loads, so the class is
declared here; everything it does lives in controller/ (os-ken side) and flows/ (pure logic).
"""
from controller.app import OverlayController


class Overlay(OverlayController):
    """The neutron-overlay controller (see controller/app.py)."""
