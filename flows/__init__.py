"""Pure code from desired state to flows: no I/O, no os-ken.

controller/ sends what this computes.
"""
