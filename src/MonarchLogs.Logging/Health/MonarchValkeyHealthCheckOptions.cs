using System;

namespace MonarchLogs.Logging
{
    /// <summary>When the provider's health check reports Degraded or Unhealthy.</summary>
    public sealed class MonarchValkeyHealthCheckOptions
    {
        /// <summary>
        /// Unhealthy while an entry was dropped (not stored, for any reason) within this time.
        /// 5 minutes by default: longer than a scrape or probe interval, so no drop goes unseen.
        /// </summary>
        public TimeSpan DroppedWithin { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>
        /// Unhealthy when writes have failed for this long without an entry stored in between.
        /// 1 minute by default. Shorter failures (a restart, a failover) report Degraded.
        /// </summary>
        public TimeSpan NotWrittenFor { get; set; } = TimeSpan.FromMinutes(1);

        /// <summary>Degraded while the buffer holds at least this share of its capacity (0.5 by default).</summary>
        public double BufferFilling { get; set; } = 0.5;
    }
}
