# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The fault suite's result table: one row per injected fault, printed in pytest's summary.

A row starts as FAIL with what was expected; the test fills in what it observed as it
goes and marks the row passed after its last assertion, so a failing fault still shows
how far it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COLUMNS = ('fault', 'expected outcome', 'observed outcome', 'steps lost', 'ticks missed', 'result')


@dataclass
class Row:
    """One injected fault."""

    fault: str
    expected: str
    observed: str = 'not reached'
    steps_lost: str = '-'
    ticks_missed: str = '-'
    result: str = 'FAIL'

    def observe(self, observed: str, steps_lost: object = '-', ticks_missed: object = '-') -> None:
        """Record what happened (before asserting on it)."""
        self.observed, self.steps_lost, self.ticks_missed = (
            observed,
            str(steps_lost),
            str(ticks_missed),
        )

    def passed(self) -> None:
        """Mark the row passed (after its last assertion)."""
        self.result = 'pass'


class FaultTable:
    """Rows in the order the faults were injected."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def row(self, fault: str, expected: str) -> Row:
        """Add a row for a fault about to be injected."""
        row = Row(fault, expected)
        self.rows.append(row)
        return row

    def markdown(self) -> str:
        """The table as Markdown (also readable as plain text)."""
        lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
        for r in self.rows:
            cells = (r.fault, r.expected, r.observed, r.steps_lost, r.ticks_missed, r.result)
            lines.append('| ' + ' | '.join(c.replace('|', '/') for c in cells) + ' |')
        return '\n'.join(lines)


class SummaryPlugin:
    """A pytest plugin object that prints the table in the terminal summary."""

    def __init__(self, table: FaultTable, path: Path) -> None:
        self.table = table
        self.path = path

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.table.rows:
            return
        terminalreporter.write_sep('=', 'fault injection (tests/test_faults_*.py)')
        for line in self.table.markdown().splitlines():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f'(written to {self.path})')
