#!/bin/sh
# The retention job's loop in compose.yaml: once at start, then every 24 hours. A failed run is
# logged and retried the next day; the store's status (Get-MonarchLogStoreStatus -Quiet) tells
# monitoring when retention has not run.
while true; do
  date -u +"%Y-%m-%dT%H:%M:%SZ retention run"
  pwsh -NoProfile -NonInteractive -File /opt/monarch/retention.ps1 || echo "retention run failed with exit code $?"
  sleep 86400
done
