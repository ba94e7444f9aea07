"""Figures and ``report.html`` from a results directory; nothing here trains.

The modules, one job each: ``inputs`` (what is read from a directory), ``drawing`` (the
look and the drawing helpers), ``panels`` (the kinds of figure), ``catalogue`` (every
figure, declared), ``figures`` (draw and save them all), ``summary`` (the report's
numbers) and ``html`` (the page).
"""

from mirl.report.figures import plot_all
from mirl.report.html import write_report

__all__ = ["plot_all", "write_report"]
