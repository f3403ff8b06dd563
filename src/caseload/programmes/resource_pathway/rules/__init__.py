"""The resource pathway's rules, as `verify` checks them on every business date.

One module per rule family: `caseload_limits` (the limit in force each day, FTE,
exclusivity, leaving), `trajectory_life` (events within a trajectory's life, one broker at
a time, both sides of a change of hands, contacts by brokers in service), `citizens` (one
open trajectory), `colleagues` (colleagues without a caseload in service when they make
contacts), and `state` (what they all keep, and the rules about the records
themselves). `RULE_BOOK` is what the registry holds; `caseload.audit.check_rules` runs it.
Each violation names the event that broke the rule (log position, aggregate id, event
type), the business date and the broker: ids and numbers only, never a name or pseudonym.
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from caseload.audit.rules import GENERAL_RULES, RuleBook, Tally
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.rules import caseload_limits, trajectory_life
from caseload.programmes.resource_pathway.rules.caseload_limits import CASELOAD_LIMITS
from caseload.programmes.resource_pathway.rules.citizens import CITIZENS
from caseload.programmes.resource_pathway.rules.colleagues import COLLEAGUES
from caseload.programmes.resource_pathway.rules.state import RECORDS, PathwayState
from caseload.programmes.resource_pathway.rules.trajectory_life import TRAJECTORY_LIFE

__all__ = ["NO_RULE", "RULES", "RULE_BOOK", "PathwayChecker"]


class PathwayChecker(PathwayState):
    """The state of the resource pathway's rules while one log is read."""

    def finish(self, last_day: int | None) -> Tally:
        """Report what only the whole log shows, and count what was checked."""
        if last_day is not None:
            trajectory_life.finish(self)
            caseload_limits.finish(self, last_day)
        broker_days = (
            0
            if last_day is None
            else sum(max(0, last_day - b.registered_on + 1) for b in self.brokers.values())
        )
        return Tally(len(self.brokers), len(self.trajectories), broker_days)


NO_RULE: frozenset[type] = frozenset(
    {
        # A notice to each broker of the programme's own PolicyChanged, which the limits are
        # checked from; it is there so that an assignment racing the change conflicts.
        Broker.LimitChanged,
        # The programme's list of its brokers repeats each Broker.Registered.
        Programme.BrokerJoined,
        # Pins the pseudonym key's check value; the application checks the key on writes.
        Programme.PseudonymKeyRegistered,
        # What these say of a citizen, Trajectory.Opened and .Closed say too, and the
        # citizens' rules are checked from those (see `citizens`).
        Citizen.Registered,
        Citizen.TrajectoryStarted,
        Citizen.TrajectoryEnded,
        # Erasure deletes a key outside the log and retires a pseudonym; no business rule
        # of the programme speaks of it (the application refuses what follows it).
        Citizen.Erased,
    }
)
"""The resource pathway's event classes to which, explicitly, no rule applies."""


RULE_BOOK = RuleBook(
    families=(CASELOAD_LIMITS, TRAJECTORY_LIFE, CITIZENS, COLLEAGUES, RECORDS),
    no_rule=NO_RULE,
    checker=PathwayChecker,
)
"""The resource pathway's rules, as `ProgrammeKind.rules` registers them."""

RULES: Mapping[str, str] = types.MappingProxyType({**RULE_BOOK.rules, **GENERAL_RULES})
"""Every rule a resource-pathway log is checked against: its stable name and what it says."""
