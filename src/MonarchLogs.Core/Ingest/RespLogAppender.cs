using System;
using System.Collections.Generic;
using System.IO;
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
    /// of 33 arguments; this spends a few (docs/performance.md). One batch at a time; a broken
    /// connection is dropped and the next call opens a new one.
    /// </summary>
    public sealed class RespLogAppender : ILogAppender, IDisposable
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly ConfigurationOptions _options;
        private readonly StorageFormat _format;
        private readonly string _formatKey;
        private readonly string _partitionsKey;
        private readonly RespCommandBuffer _commands = new RespCommandBuffer();
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
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

        public async Task<int> AppendAsync(IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken = default)
        {
            if (stored is null || stored.Length != entries.Count) throw new ArgumentException("One mark per entry is needed.", nameof(stored));
            if (entries.Count == 0) return 0;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_disposed) throw new ObjectDisposedException(nameof(RespLogAppender));
                var connection = _connection ??= await RespConnection.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await AppendAsync(connection, entries, stored, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is RedisServerException) && !(ex is MonarchLogsException))
                {
                    // Mid-pipeline the stream's place is unknown: this connection is done.
                    Interlocked.CompareExchange(ref _connection, null, connection);
                    connection.Dispose();
                    throw;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<int> AppendAsync(RespConnection connection, IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken)
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

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.AsyncTimeout);
            var token = timeout.Token;
            var written = 0;
            List<int>? late = null;
            Exception? failure = null;
            string? version = null;
            try
            {
                await connection.SendAsync(commands, token).ConfigureAwait(false);
                var format = await connection.ReadAsync(true, token).ConfigureAwait(false);
                if (format.IsError) failure = ServerError(format);
                else version = format.Text;
                var registry = await connection.ReadAsync(false, token).ConfigureAwait(false);
                if (registry.IsError) failure ??= ServerError(registry);

                // Each mark is set as its reply arrives, so a connection lost mid-batch leaves the
                // marks of every reply read before it right.
                for (var i = 0; i < entries.Count; i++)
                {
                    if (stored[i]) continue;
                    var reply = await connection.ReadAsync(false, token).ConfigureAwait(false);
                    if (!reply.IsError)
                    {
                        stored[i] = true;
                        written++;
                    }
                    else if (LogStore.IsIdTooSmall(reply.Text))
                    {
                        (late ??= new List<int>()).Add(i);
                    }
                    else
                    {
                        failure ??= ServerError(reply);
                    }
                }

                await connection.ReadAsync(false, token).ConfigureAwait(false);

                // An ID earlier than the stream's last one is refused: such an entry goes in right
                // after the stream's last entry and keeps its own time in "ts" (as LogStore does).
                for (var k = 0; late is not null && failure is null && k < late.Count; k++)
                {
                    var i = late[k];
                    await AppendAfterTopAsync(connection, partitions[i].StreamKey, entries[i], token).ConfigureAwait(false);
                    stored[i] = true;
                    written++;
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Valkey did not answer a batch of {entries.Count} entries within {_options.AsyncTimeout} ms.");
            }

            _format.CheckVersion(version);
            if (failure is not null) throw failure;
            return written;
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
