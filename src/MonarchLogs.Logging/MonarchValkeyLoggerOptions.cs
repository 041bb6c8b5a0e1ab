using System;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Options of the Valkey provider, bound from <c>Logging:MonarchValkey</c> and from
    /// <c>AddMonarchValkey(o => ...)</c>. Only <see cref="IncludeScopes"/> follows configuration
    /// changes while the app runs; the rest are read when the provider starts.
    /// </summary>
    public sealed class MonarchValkeyLoggerOptions
    {
        /// <summary>StackExchange.Redis connection string, e.g. <c>valkey:6379,password=...,ssl=true</c>.</summary>
        public string ConnectionString { get; set; } = "localhost:6379";

        /// <summary>Service name stored with every entry; defaults to the entry assembly's name.</summary>
        public string? Service { get; set; }

        /// <summary>
        /// A scope or state property with this name and a text value overrides <see cref="Service"/>
        /// for that entry, for hosts that run several services. Empty to turn it off.
        /// </summary>
        public string ServicePropertyName { get; set; } = "Service";

        /// <summary>Key prefix of the store.</summary>
        public string KeyPrefix { get; set; } = StorageFormat.DefaultPrefix;

        /// <summary>
        /// How many entries the provider holds in memory, the batch being written included, while
        /// Valkey is slow or away. When it is full, new entries are dropped (the oldest are kept:
        /// they are the start of the incident), counted, and reported by one entry once Valkey is back.
        /// </summary>
        public int BufferCapacity { get; set; } = 100_000;

        /// <summary>Most entries in one pipelined batch.</summary>
        public int MaxBatchSize { get; set; } = 2048;

        /// <summary>
        /// How long a batch may wait to fill once its first entry is queued. Zero (the default)
        /// sends at once whatever is queued; batches grow by themselves under load.
        /// </summary>
        public TimeSpan BatchDelay { get; set; } = TimeSpan.Zero;

        /// <summary>First wait after a failed write; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
        public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>How long Dispose waits for queued entries to be written.</summary>
        public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Store the key/value pairs of scopes as properties and other scopes as text.</summary>
        public bool IncludeScopes { get; set; } = true;
    }
}
