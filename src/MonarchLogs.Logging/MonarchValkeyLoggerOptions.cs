using System;
using System.ComponentModel;
using MonarchLogs.Core.Connection;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Options of the Valkey provider. Where the store lives (<see cref="StoreConnectionSettings.ConnectionString"/>,
    /// <see cref="StoreConnectionSettings.Prefix"/>, <see cref="StoreConnectionSettings.User"/>,
    /// <see cref="StoreConnectionSettings.Password"/>, <see cref="StoreConnectionSettings.TrustedCertificateAuthorityPath"/>)
    /// is the same setting as for the viewer and the cmdlets: read from the shared <c>Valkey</c>
    /// section, then from <c>Logging:MonarchValkey</c>, which wins, then from
    /// <c>AddMonarchValkey(o => ...)</c>; the rest only from the last two. Only
    /// <see cref="IncludeScopes"/> follows configuration changes while the app runs; the rest are
    /// read when the provider starts.
    /// </summary>
    public sealed class MonarchValkeyLoggerOptions : StoreConnectionSettings
    {
        /// <summary>The old name of <see cref="StoreConnectionSettings.Prefix"/>; the configuration key <c>Logging:MonarchValkey:KeyPrefix</c> still sets it.</summary>
        [Obsolete("KeyPrefix is now Prefix, the name the viewer and the cmdlets use (configuration key Logging:MonarchValkey:Prefix or Valkey:Prefix).")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public string KeyPrefix
        {
            get => Prefix;
            set => Prefix = value;
        }

        /// <summary>Service name stored with every entry; defaults to the entry assembly's name.</summary>
        public string? Service { get; set; }

        /// <summary>
        /// Off (empty) by default. When set, a <em>scope</em> property with this name and a text
        /// value overrides <see cref="Service"/> for the entries logged inside that scope, for hosts
        /// that run several services (<c>using (logger.BeginScope(new Dictionary&lt;string, object&gt; { ["Service"] = "billing" }))</c>).
        /// A message template's arguments never re-route an entry: <c>LogWarning("Lookup for {Service} failed", name)</c>
        /// stays with this service.
        /// </summary>
        public string? ServicePropertyName { get; set; }

        /// <summary>
        /// Most distinct services one provider writes to (each is up to six partitions). An entry
        /// routed to one more service is stored under <see cref="Service"/> instead, with the
        /// service it asked for in the property <c>RequestedService</c>, and counted.
        /// </summary>
        public int MaxServices { get; set; } = 100;

        /// <summary>
        /// How many entries the provider holds in memory, the batch being written included, while
        /// Valkey is slow or away. When it is full, new entries are dropped (the oldest are kept:
        /// they are the start of the incident), counted, and reported by one entry once Valkey is back.
        /// </summary>
        public int BufferCapacity { get; set; } = 100_000;

        /// <summary>Most entries in one pipelined batch (see also <see cref="BacklogBatchSize"/>).</summary>
        public int MaxBatchSize { get; set; } = 2048;

        /// <summary>
        /// Most entries in one batch while the writer is behind: when more than
        /// <see cref="MaxBatchSize"/> entries are queued as a batch starts, it takes up to this many.
        /// A partition with at least 256 entries in a batch gets them as blocks of its stream, each
        /// entry encoded once, rather than as a block of its head that a compaction encodes again;
        /// under light load batches stay small and go out at once. The entries count against
        /// <see cref="BufferCapacity"/> as before, so the buffer holds no more. At or below
        /// <see cref="MaxBatchSize"/> it changes nothing. The default, 8,192, still gives a busy
        /// partition blocks of hundreds of entries; a larger batch holds more of the writer's work
        /// through each collection that comes while it is behind, which costs more than the larger
        /// blocks save.
        /// </summary>
        public int BacklogBatchSize { get; set; } = 8_192;

        /// <summary>
        /// How long a batch may wait to fill once its first entry is queued. Zero (the default)
        /// sends at once whatever is queued; batches grow by themselves under load.
        /// </summary>
        public TimeSpan BatchDelay { get; set; } = TimeSpan.Zero;

        /// <summary>First wait after a failed write; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
        public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

        /// <summary>The longest wait between retries of a failed write.</summary>
        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>
        /// How long a batch is retried while Valkey fails in a way that may pass (connection lost,
        /// loading, out of memory). Past it, the batch's entries are dropped, counted with the
        /// reason, and the writer goes on with newer entries. An error that will not pass (a key of
        /// another type, an ACL that refuses the key, another format version) is never retried
        /// blindly: its partition is set aside and tried again after <see cref="MaxRetryDelay"/>.
        /// </summary>
        public TimeSpan RetryTimeLimit { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>
        /// 0 (the default): an entry counts as stored once the master has it; replication to
        /// replicas is asynchronous, so a failover can lose the last few milliseconds of entries.
        /// 1 or more: an entry counts as stored only once that many replicas have it (Valkey's
        /// WAIT after each batch); one not confirmed in time is sent again, so a failover loses
        /// nothing (and a slow replica may receive an entry twice). It costs a round trip and
        /// the replicas' delay per batch (docs/performance.md).
        /// </summary>
        public int ReplicaAcknowledgements { get; set; }

        /// <summary>How long a batch waits for <see cref="ReplicaAcknowledgements"/> replicas before it is sent again.</summary>
        public TimeSpan ReplicaAcknowledgementTimeout { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Longest rendered message kept, in characters; the rest is cut and the cut marked in the entry.</summary>
        public int MaxMessageLength { get; set; } = 32 * 1024;

        /// <summary>Longest exception text (type, message, stack, inner exceptions) kept, in characters.</summary>
        public int MaxExceptionLength { get; set; } = 64 * 1024;

        /// <summary>Longest properties JSON kept, in characters; a longer one is replaced by a marker with its length.</summary>
        public int MaxPropertiesLength { get; set; } = 64 * 1024;

        /// <summary>Longest whole entry, all fields together, in characters: the exception, then the properties, then the message give way.</summary>
        public int MaxEntryLength { get; set; } = 256 * 1024;

        /// <summary>How long Dispose waits for queued entries to be written.</summary>
        public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>
        /// How long a process that ends without disposing the provider (a program that returns
        /// from Main without disposing its host) waits at exit for queued entries to be written.
        /// While Valkey is away, the exit is delayed by this much and half a second at most; what
        /// is left is counted (<c>NotSentAtProcessExit</c>, or <c>UnconfirmedAtShutdown</c> when
        /// sent but not answered). A provider that is disposed uses <see cref="FlushTimeout"/> instead.
        /// </summary>
        public TimeSpan ProcessExitFlushTimeout { get; set; } = TimeSpan.FromSeconds(3);

        /// <summary>Store the key/value pairs of scopes as properties and other scopes as text.</summary>
        public bool IncludeScopes { get; set; } = true;
    }
}
