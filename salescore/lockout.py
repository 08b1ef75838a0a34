"""Failed sign-ins: who may try again, counted per (user, address) and per address (issue 17).

Why two counts, and why bounded:

- **per (user, address)**: MAX_FAILURES wrong passwords in a row for one name from one address
  lock that pair for LOCKOUT_SECONDS. A name alone is never locked: anyone could otherwise keep
  the admin out by retrying her name, while her own address stays free.
- **per address**: MAX_ADDRESS_FAILURES failures from one address, whatever the names, lock
  that address, so one address cannot make the server verify passwords (argon2, the costly
  part) for an endless list of invented names.
- The table holds at most MAX_KEYS entries; the least recently touched one goes first, so
  attacker-chosen names cannot grow it without bound.

An attempt is counted *before* its password is checked (:meth:`Lockout.begin`) and forgiven
when it succeeds (:meth:`Lockout.succeeded`): parallel attempts cannot slip past the limit
while their verifications run. A failure older than LOCKOUT_SECONDS is forgotten.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from salescore.errors import SalesCoreError

MAX_FAILURES = 5              # wrong passwords in a row for one name from one address ...
MAX_ADDRESS_FAILURES = 20     # ... or for any names from one address ...
LOCKOUT_SECONDS = 60.0        # ... within this long lock them for this long
MAX_KEYS = 10_000             # entries kept; the least recently touched one is evicted

Key = tuple[str, ...]


class Lockout:
    """A bounded, thread-safe table key -> (failures, time of the last one)."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._rows: OrderedDict[Key, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def _count(self, key: Key, now: float) -> int:
        count, last = self._rows.get(key, (0, 0.0))
        return count if now - last < LOCKOUT_SECONDS else 0

    def _add(self, key: Key, now: float, step: int) -> None:
        count = max(self._count(key, now) + step, 0)
        if count == 0:
            self._rows.pop(key, None)
            return
        if step < 0:   # giving an attempt back does not restart the window
            self._rows[key] = (count, self._rows[key][1])
            return
        self._rows[key] = (count, now)
        self._rows.move_to_end(key)
        while len(self._rows) > self.max_keys:
            self._rows.popitem(last=False)

    def begin(self, name: str, address: str, now: float | None = None) -> None:
        """Count one attempt of ``name`` from ``address``; SalesCoreError (nothing counted)
        when the pair or the address is locked."""
        now = time.monotonic() if now is None else now
        pair, where = ("user", name, address), ("address", address)
        with self._lock:
            if (self._count(pair, now) >= MAX_FAILURES
                    or self._count(where, now) >= MAX_ADDRESS_FAILURES):
                raise SalesCoreError("Too many wrong passwords: wait a minute and try again.",
                                     key="access.error.locked")
            self._add(pair, now, 1)
            self._add(where, now, 1)

    def succeeded(self, name: str, address: str, now: float | None = None) -> None:
        """The attempt begun for ``name`` was right: the pair starts over, and the address
        gets this attempt back (its earlier failures still count)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._rows.pop(("user", name, address), None)
            self._add(("address", address), now, -1)


FAILURES = Lockout()   # the process's table (one server process, DESIGN.md section 1)
