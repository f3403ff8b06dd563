"""The application layer: the `Caseload` facade, its commands, queries and sessions."""

from caseload.application.caseload import Caseload

__all__ = ["Caseload"]
