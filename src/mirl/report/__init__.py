"""Figures and ``report.html`` of a results directory; nothing here trains.

The modules, one job each: ``figures`` (draw and save every figure the directory holds
results for: each experiment's own, from its declaration), ``estimates`` (the figures of
estimation runs no experiment declares), ``summary`` (the report's numbers) and ``html``
(the page). The kinds of figure and the claims are ``mirl.figures``'.
"""

from mirl.report.figures import plot_all
from mirl.report.html import write_report

__all__ = ["plot_all", "write_report"]
