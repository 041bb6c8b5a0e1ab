using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>The writer's connection to Valkey: opened by the loop at each (re)start, closed when it fails or stops.</summary>
    internal sealed class WriterConnection
    {
        private readonly MonarchValkeyLoggerOptions _options;
        private readonly StorageFormat _format;
        private readonly string _service;
        private readonly CancellationTokenSource _abort;
        private IConnectionMultiplexer? _connection;
        private IDisposable? _owned;

        public WriterConnection(MonarchValkeyLoggerOptions options, StorageFormat format, string service, CancellationTokenSource abort)
        {
            _options = options;
            _format = format;
            _service = service;
            _abort = abort;
        }

        /// <summary>
        /// Connects through the hosts' one connection factory (<see cref="StoreConnection"/>: the
        /// same settings, trusted CA and user check as the viewer and the cmdlets) in the background,
        /// so the host starts while Valkey is down. StackExchange.Redis serves one server, several
        /// endpoints, Sentinel (following its announcements) and a Valkey Cluster (routing each
        /// partition's append to the node that owns its slot).
        /// </summary>
        public async Task<ILogAppender> OpenAppenderAsync()
        {
            var config = StoreConnection.CreateOptions(_options, "MonarchLogs.Logging");
            // Fail at once while disconnected: the buffer here, not the client's backlog, holds
            // entries during an outage, so they are counted and never sent twice.
            config.BacklogPolicy = BacklogPolicy.FailFast;
            if (SentinelAppender.Serves(config))
            {
                // Behind Sentinel: follow its announcements, never a master being demoted.
                var sentinel = new SentinelAppender(config, _format, NewAppender);
                _owned = sentinel;
                return sentinel;
            }

            // Shutdown does not wait for a first connect that hangs.
            _connection = await StoreConnection.ConnectInBackgroundAsync(config, _abort.Token).ConfigureAwait(false);
            return NewAppender(_connection);
        }

        /// <summary>The write path of the store's format version (format 2's compacts heads in the background; a failure is reported, never the writer's).</summary>
        private VersionedAppender NewAppender(IConnectionMultiplexer connection) => new VersionedAppender(connection, _format)
        {
            ReplicaAcknowledgements = _options.ReplicaAcknowledgements,
            ReplicaAcknowledgementTimeout = _options.ReplicaAcknowledgementTimeout,
            HeadCompactionFailed = (partition, error) => MonarchLogsEventSource.Log.HeadCompactionFailed(_service, partition.StreamKey, error.ErrorId, error.Message),
        };

        /// <summary>Closes what <see cref="OpenAppenderAsync"/> opened, if anything; the next call opens anew.</summary>
        public void Close()
        {
            Interlocked.Exchange(ref _connection, null)?.Dispose();
            Interlocked.Exchange(ref _owned, null)?.Dispose();
        }
    }
}
