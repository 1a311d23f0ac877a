"""Reports: metrics table (Markdown), trade-off plot, self-contained HTML with per-answer detail."""

from safetylab.report._report import headline_table, tradeoff_plot_png, write_reports

__all__ = ["headline_table", "tradeoff_plot_png", "write_reports"]
