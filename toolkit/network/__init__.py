"""The network's view: the dashboard, cohorts, comparisons, exports, the network PDF and the
city profiles."""
