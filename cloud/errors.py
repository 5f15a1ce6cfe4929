"""The one error type of the cloud's operations and of the API: a request the cloud cannot
take, with the HTTP status and the Neutron-style message the client gets."""
from __future__ import annotations


class Refused(Exception):
    """A request the cloud cannot take: HTTP status and Neutron-style message."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


NAMES = {"floatingip": "Floating IP"}   # where Neutron's word is not the kind capitalized


def not_found(kind: str, ident: str) -> Refused:
    """Neutron's 404: "Network <id> could not be found.", "Floating IP <id> ..."."""
    return Refused(404, f"{NAMES.get(kind, kind.capitalize())} {ident} could not be found.")


def not_emulated(what: str) -> Refused:
    """Something Neutron has that this cloud does not emulate: refused, never ignored."""
    return Refused(400, f"{what} is not emulated by this cloud.")
