"""Errors the engine raises for bad input. Every message names the item and the problem."""

from __future__ import annotations


class ProblemError(ValueError):
    """A problem the engine refuses to solve, with a message fit to show a coordinator.

    ``item`` names the offending thing ("mentee m-17", "weights.distance"); ``problem`` says what
    is wrong with it and, where possible, how to fix it.
    """

    def __init__(self, item: str, problem: str) -> None:
        self.item = item
        self.problem = problem
        super().__init__(f"{item}: {problem}")
