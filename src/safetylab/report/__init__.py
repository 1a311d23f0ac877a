"""Reports: metrics table (Markdown), trade-off plot, self-contained HTML with per-answer detail."""

from safetylab.report._load import load_metrics, load_run, load_runs, run_names
from safetylab.report._report import (
    headline_table,
    study_points,
    study_table,
    tradeoff_plot_png,
    write_reports,
    write_study_report,
)
from safetylab.report._serve import HOST, chromium_launch_options, make_server
from safetylab.report._view import write_view

__all__ = [
    "HOST",
    "chromium_launch_options",
    "headline_table",
    "load_metrics",
    "load_run",
    "load_runs",
    "make_server",
    "run_names",
    "study_points",
    "study_table",
    "tradeoff_plot_png",
    "write_reports",
    "write_study_report",
    "write_view",
]
