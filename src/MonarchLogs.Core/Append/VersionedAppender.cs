using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// The append path of a store: format 2's block appender, behind the check of the store's
    /// version. A new store is marked version 2; a store of version 1 is refused
    /// (<c>StoreNeedsUpgrade</c>: <c>Update-MonarchLogStore</c> upgrades it), and so is one of a
    /// later version. The version is read again after every reconnect and at least every 10 s,
    /// so a writer that waits while its store is upgraded writes once the store is marked 2.
    /// </summary>
    public sealed class VersionedAppender : ILogAppender
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly IConnectionMultiplexer _connection;
        private readonly FormatCheck _check;
        private readonly Lazy<BlockAppender> _blocks;

        /// <param name="connection">The shared connection.</param>
        /// <param name="format">The store's format.</param>
        /// <param name="host">The host of an entry that names none: this machine's name unless given (an import passes the empty string).</param>
        public VersionedAppender(IConnectionMultiplexer connection, StorageFormat format, string? host = null)
        {
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            if (format is null) throw new ArgumentNullException(nameof(format));
            _check = new FormatCheck(connection, format);
            _blocks = new Lazy<BlockAppender>(() => new BlockAppender(_connection, format, host ?? LocalHost, _check, new SendTurns(), HeadCompactionFailed)
            {
                ReplyTimeout = ReplyTimeout,
                ReplicaAcknowledgements = ReplicaAcknowledgements,
                ReplicaAcknowledgementTimeout = ReplicaAcknowledgementTimeout,
            }, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>How long an append waits for its replies before it counts them as timed out (transient); far longer than the client's own timeouts.</summary>
        public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// Replicas that must confirm an entry before it counts as stored (WAIT on each master
        /// written to). Entries not confirmed in time are not marked: the retry sends them again,
        /// so a failover that drops them from the demoted master loses nothing.
        /// </summary>
        public int ReplicaAcknowledgements { get; init; }

        /// <summary>How long WAIT waits for the replicas.</summary>
        public TimeSpan ReplicaAcknowledgementTimeout { get; init; } = TimeSpan.FromSeconds(1);

        /// <summary>
        /// Told of a format 2 head compaction that failed (the writer goes on, and the head is
        /// checked again later): the partition and the classified error. Called on a background thread.
        /// </summary>
        public Action<Partition, MonarchLogsException>? HeadCompactionFailed { get; init; }

        /// <summary>The <c>w</c> of the format 2 blocks this appender writes (an import leaves them out of its duplicate check).</summary>
        internal string BlockWriterId => _blocks.Value.WriterId;

        /// <summary>The writer of the format 2 blocks this appender writes, for a caller that makes a batch's blocks itself (<see cref="AppendBatch"/> with blocks).</summary>
        internal WriterIdentity BlockWriter => _blocks.Value.Identity;

        /// <inheritdoc />
        /// <exception cref="MonarchLogsException"><c>StoreNeedsUpgrade</c>: the store is version 1; nothing was written.</exception>
        public Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default) =>
            _blocks.Value.AppendAsync(batch, cancellationToken);
    }
}
