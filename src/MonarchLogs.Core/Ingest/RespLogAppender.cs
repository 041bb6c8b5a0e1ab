using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Ingest
{
    /// <summary>
    /// The logging provider's write path: the same commands as <see cref="LogStore.AppendAsync(IReadOnlyList{MonarchLogEntry}, bool[], CancellationToken)"/>
    /// (format mark, registry, one XADD per entry with its event time as ID, one notification),
    /// encoded by <see cref="StorageFormat"/> straight into one buffer and sent over its own RESP
    /// connection in one write. StackExchange.Redis spends tens of microseconds of CPU per XADD
    /// of 33 arguments; this spends a few (docs/performance.md). Batches may overlap (the next is
    /// sent while the replies of the last are read); a broken connection is dropped and the next
    /// call opens a new one.
    /// </summary>
    public sealed class RespLogAppender : ILogAppender, IDisposable
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly ConfigurationOptions _options;
        private readonly StorageFormat _format;
        private readonly string _formatKey;
        private readonly string _partitionsKey;
        private readonly RespCommandBuffer _commands = new RespCommandBuffer();
        private readonly SemaphoreSlim _send = new SemaphoreSlim(1, 1);
        private Task _repliesRead = Task.CompletedTask;
        private RespConnection? _connection;
        private volatile bool _disposed;

        public RespLogAppender(ConfigurationOptions options, StorageFormat format)
        {
            if (!Supports(options)) throw new ArgumentException("The write path serves one endpoint without sentinel, tunnel or proxy.", nameof(options));
            _options = options.Clone();
            _format = format;
            _formatKey = format.FormatKey.ToString();
            _partitionsKey = format.PartitionsKey.ToString();
        }

        /// <summary>Whether these connection options can be served: one endpoint, no sentinel, tunnel or proxy.</summary>
        public static bool Supports(ConfigurationOptions options) => RespConnection.Supports(options);

        /// <summary>
        /// Sends the batch and reads its replies. Calls may overlap: a second batch is encoded
        /// and sent while the first one's replies are still coming, and replies are read in the
        /// order the batches were sent, so client and server work at the same time.
        /// </summary>
        public async Task<int> AppendAsync(IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken = default)
        {
            if (stored is null || stored.Length != entries.Count) throw new ArgumentException("One mark per entry is needed.", nameof(stored));
            if (entries.Count == 0) return 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.AsyncTimeout);
            try
            {
                SentBatch sent;
                List<int>? late;
                try
                {
                    sent = await SendAsync(entries, stored, timeout.Token).ConfigureAwait(false);
                    late = await ReadAsync(sent, entries, stored, timeout.Token).ConfigureAwait(false);
                }
                catch (StaleConnectionException)
                {
                    // The connection had sat unused and was closed meanwhile: one more try at
                    // once on a new one, instead of a failed write and a retry delay.
                    sent = await SendAsync(entries, stored, timeout.Token).ConfigureAwait(false);
                    late = await ReadAsync(sent, entries, stored, timeout.Token).ConfigureAwait(false);
                }

                if (late is not null) sent.Written += await AppendLateAsync(sent.Partitions, late, entries, stored, timeout.Token).ConfigureAwait(false);
                _format.CheckVersion(sent.Version);
                if (sent.Failure is not null) throw sent.Failure;
                return sent.Written;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Valkey did not answer a batch of {entries.Count} entries within {_options.AsyncTimeout} ms.");
            }
        }

        /// <summary>What one batch sent, and what its replies said.</summary>
        private sealed class SentBatch
        {
            public SentBatch(RespConnection connection, Partition[] partitions, Task earlierReplies, TaskCompletionSource<bool> repliesRead)
            {
                Connection = connection;
                Partitions = partitions;
                EarlierReplies = earlierReplies;
                RepliesRead = repliesRead;
            }

            public RespConnection Connection { get; }

            public Partition[] Partitions { get; }

            /// <summary>Done once every batch sent before this one has had its replies read.</summary>
            public Task EarlierReplies { get; }

            public TaskCompletionSource<bool> RepliesRead { get; }

            public string? Version { get; set; }

            public Exception? Failure { get; set; }

            public int Written { get; set; }
        }

        private async Task<SentBatch> SendAsync(IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            TaskCompletionSource<bool>? repliesRead = null;
            RespConnection? connection = null;
            try
            {
                if (_disposed) throw new ObjectDisposedException(nameof(RespLogAppender));
                connection = _connection ??= await RespConnection.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
                var partitions = Encode(entries, stored);

                // Take this batch's turn to read before the bytes go out, under the send lock, so
                // turns follow the order of the bytes on the wire.
                repliesRead = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var sent = new SentBatch(connection, partitions, _repliesRead, repliesRead);
                _repliesRead = repliesRead.Task;
                await connection.SendAsync(_commands, cancellationToken).ConfigureAwait(false);
                return sent;
            }
            catch (Exception ex)
            {
                repliesRead?.TrySetResult(true);
                if (connection is not null && !(ex is MonarchLogsException) && Drop(connection, ex) is StaleConnectionException stale) throw stale;
                throw;
            }
            finally
            {
                _send.Release();
            }
        }

        /// <summary>
        /// Reads the batch's replies once the batches sent before it are read, and marks each
        /// entry as its reply arrives, so a connection lost mid-batch leaves every mark read
        /// before it right. Returns the entries refused as older than their stream's top.
        /// </summary>
        private async Task<List<int>?> ReadAsync(SentBatch sent, IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken)
        {
            var connection = sent.Connection;
            List<int>? late = null;
            try
            {
                await sent.EarlierReplies.ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                var format = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
                if (format.IsError) sent.Failure = ServerError(format);
                else sent.Version = format.Text;
                var registry = await connection.ReadAsync(false, cancellationToken).ConfigureAwait(false);
                if (registry.IsError) sent.Failure ??= ServerError(registry);
                for (var i = 0; i < entries.Count; i++)
                {
                    if (stored[i]) continue;
                    var reply = await connection.ReadAsync(false, cancellationToken).ConfigureAwait(false);
                    if (!reply.IsError)
                    {
                        stored[i] = true;
                        sent.Written++;
                    }
                    else if (LogStore.IsIdTooSmall(reply.Text))
                    {
                        (late ??= new List<int>()).Add(i);
                    }
                    else
                    {
                        sent.Failure ??= ServerError(reply);
                    }
                }

                await connection.ReadAsync(false, cancellationToken).ConfigureAwait(false);
                return sent.Failure is null ? late : null;
            }
            catch (Exception ex)
            {
                // Mid-pipeline the stream's place is unknown: this connection is done, and the
                // batches sent after this one fail too and are retried whole.
                if (Drop(connection, ex) is StaleConnectionException stale) throw stale;
                throw;
            }
            finally
            {
                sent.RepliesRead.TrySetResult(true);
            }
        }

        /// <summary>Encodes the batch: format mark, registry, the XADDs of the unmarked entries, one notification.</summary>
        private Partition[] Encode(IReadOnlyList<MonarchLogEntry> entries, bool[] stored)
        {
            var partitions = _format.PartitionsOf(entries, out var distinct);
            var commands = _commands;
            commands.Clear();
            commands.BeginCommand(5);
            commands.WriteBulk("SET");
            commands.WriteBulk(_formatKey);
            commands.WriteBulk(StorageFormat.Version);
            commands.WriteBulk("NX");
            commands.WriteBulk("GET");

            // The registry names every partition of the batch, also of entries stored by an
            // earlier attempt, since that attempt's HSET may have failed.
            commands.BeginCommand(2 + 2 * distinct.Count);
            commands.WriteBulk("HSET");
            commands.WriteBulk(_partitionsKey);
            var notice = new string[distinct.Count];
            for (var i = 0; i < distinct.Count; i++)
            {
                commands.WriteBulk(distinct[i].StreamKey);
                commands.WriteBulk(StorageFormat.RegistryValue(distinct[i]));
                notice[i] = distinct[i].StreamKey;
            }

            for (var i = 0; i < entries.Count; i++)
            {
                if (stored[i]) continue;
                StorageFormat.WriteAdd(commands, partitions[i].StreamKey, StreamId.ToUnixMilliseconds(ToUtc(entries[i].Timestamp)), entries[i], LocalHost);
            }

            commands.BeginCommand(3);
            commands.WriteBulk("PUBLISH");
            commands.WriteBulk(_format.NotifyChannel);
            commands.WriteBulk(string.Join("\n", notice));
            return partitions;
        }

        /// <summary>
        /// An ID earlier than the stream's last one is refused (another writer's clock is ahead,
        /// or the clock stepped back): such an entry goes in right after the stream's last entry
        /// and keeps its own time in "ts", as LogStore does. This takes a few round trips, so it
        /// holds the connection alone: no other batch is sent until it is done.
        /// </summary>
        private async Task<int> AppendLateAsync(Partition[] partitions, List<int> late, IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            RespConnection? connection = null;
            try
            {
                await _repliesRead.ConfigureAwait(false);
                if (_disposed) throw new ObjectDisposedException(nameof(RespLogAppender));
                connection = _connection ??= await RespConnection.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
                foreach (var i in late)
                {
                    await AppendAfterTopAsync(connection, partitions[i].StreamKey, entries[i], cancellationToken).ConfigureAwait(false);
                    stored[i] = true;
                }

                return late.Count;
            }
            catch (Exception ex) when (connection is not null && !(ex is RedisServerException))
            {
                Drop(connection, ex);
                throw;
            }
            finally
            {
                _send.Release();
            }
        }

        private async Task AppendAfterTopAsync(RespConnection connection, string streamKey, MonarchLogEntry entry, CancellationToken cancellationToken)
        {
            var commands = _commands;
            commands.Clear();
            commands.BeginCommand(6);
            commands.WriteBulk("XREVRANGE");
            commands.WriteBulk(streamKey);
            commands.WriteBulk("+");
            commands.WriteBulk("-");
            commands.WriteBulk("COUNT");
            commands.WriteBulk(1);
            await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
            var top = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
            if (top.IsError) throw ServerError(top);
            long? after = null;
            if (top.Items is { Length: > 0 } items && items[0].Items is { Length: > 0 } first && StreamId.TryParse(first[0].Text, out var last))
            {
                after = last.Milliseconds;
            }

            while (true)
            {
                commands.Clear();
                StorageFormat.WriteAdd(commands, streamKey, after, entry, LocalHost);
                await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
                var reply = await connection.ReadAsync(false, cancellationToken).ConfigureAwait(false);
                if (!reply.IsError) return;

                // Another writer moved the top meanwhile: let the server choose the ID.
                if (after is null || !LogStore.IsIdTooSmall(reply.Text)) throw ServerError(reply);
                after = null;
            }
        }

        /// <summary>Drops a connection that failed; a failure that may come from its having gone stale is told apart.</summary>
        private Exception Drop(RespConnection connection, Exception failure)
        {
            var stale = connection.MayBeStale && (failure is IOException || failure is SocketException || failure is ObjectDisposedException);
            Interlocked.CompareExchange(ref _connection, null, connection);
            connection.Dispose();
            return stale ? new StaleConnectionException(failure) : failure;
        }

        /// <summary>A connection failed before answering anything after it sat unused.</summary>
        private sealed class StaleConnectionException : IOException
        {
            public StaleConnectionException(Exception inner)
                : base("The connection to Valkey had been closed while unused: " + inner.Message, inner)
            {
            }
        }

        private static DateTime ToUtc(DateTime time) => time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime();

        private static RedisServerException ServerError(RespValue reply) => new RedisServerException(reply.Text ?? "ERR");

        /// <summary>Closes the connection; a batch in flight fails at once instead of being waited for.</summary>
        public void Dispose()
        {
            _disposed = true;
            Interlocked.Exchange(ref _connection, null)?.Dispose();
        }
    }
}
