"""The monthly report of a unit (company, branch or commune): its figures (figures), the page
and PDF that show them (views/report.py, pdf), the XLSX of its table (xlsx), and the emails
that carry them to subscribers (subscriptions, alerts, deliveries)."""
