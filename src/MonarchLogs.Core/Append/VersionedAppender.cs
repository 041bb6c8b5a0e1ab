using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// The one place that chooses a store's write path by its format version: format 1's
    /// <see cref="StoreAppender"/> (one stream entry per log entry) or format 2's block appender.
    /// A new store is marked with the version new stores get. The version is read again after
    /// every reconnect and at least every 10 s, so a writer that runs while its store is upgraded
    /// from 1 to 2 switches to blocks; both paths share one send order, so a partition's entries
    /// still reach the server in the order given.
    /// </summary>
    public sealed class VersionedAppender : ILogAppender
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly string? _host;
        private readonly FormatCheck _check;
        private readonly SendTurns _turns = new SendTurns();
        private readonly Lazy<StoreAppender> _entries;
        private readonly Lazy<BlockAppender> _blocks;

        /// <param name="connection">The shared connection.</param>
        /// <param name="format">The store's format.</param>
        /// <param name="host">The host of an entry that names none: this machine's name unless given (an import passes the empty string).</param>
        public VersionedAppender(IConnectionMultiplexer connection, StorageFormat format, string? host = null)
        {
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _format = format ?? throw new ArgumentNullException(nameof(format));
            _host = host;
            _check = new FormatCheck(connection, format);
            _entries = new Lazy<StoreAppender>(() => new StoreAppender(_connection, _format, _host, _check, _turns)
            {
                ReplyTimeout = ReplyTimeout,
                ReplicaAcknowledgements = ReplicaAcknowledgements,
                ReplicaAcknowledgementTimeout = ReplicaAcknowledgementTimeout,
            }, LazyThreadSafetyMode.ExecutionAndPublication);
            _blocks = new Lazy<BlockAppender>(() => new BlockAppender(_connection, _format, _host ?? LocalHost, _check, _turns, HeadCompactionFailed)
            {
                ReplyTimeout = ReplyTimeout,
                ReplicaAcknowledgements = ReplicaAcknowledgements,
                ReplicaAcknowledgementTimeout = ReplicaAcknowledgementTimeout,
            }, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>How long an append waits for its replies (<see cref="StoreAppender.ReplyTimeout"/>).</summary>
        public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>Replicas that must confirm an entry before it counts as stored (<see cref="StoreAppender.ReplicaAcknowledgements"/>).</summary>
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

        /// <inheritdoc />
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            for (var attempt = 0; ; attempt++)
            {
                // The choice is made in this call's turn, and the chosen path takes its own turn
                // right behind it: calls that overlap send in the order they were made.
                var turn = _turns.Take(out var previous);
                Task<AppendResult> append;
                int version;
                try
                {
                    await previous.ConfigureAwait(false);
                    await StoreConnection.EnsureVerifiedAsync(_connection, cancellationToken).ConfigureAwait(false);
                    version = await _check.EnsureAsync(_connection.GetDatabase(), cancellationToken).ConfigureAwait(false);
                    append = version == 2 ? _blocks.Value.AppendAsync(batch, cancellationToken) : _entries.Value.AppendAsync(batch, cancellationToken);
                }
                finally
                {
                    turn.TrySetResult(true);
                }

                try
                {
                    return await append.ConfigureAwait(false);
                }
                catch (MonarchLogsException ex) when (ex.ErrorId == "UnsupportedStorageFormat" && attempt == 0 && _check.Version != version)
                {
                    // The version changed between the choice and the send (nothing was sent): choose again.
                }
            }
        }
    }
}
