"""Alerts (CONTRACT-2 §4): rule evaluation against a run's results (:mod:`app.alerts.rules`,
pure) and the optional outbound webhook delivery (:mod:`app.alerts.webhook`, off by default)."""
