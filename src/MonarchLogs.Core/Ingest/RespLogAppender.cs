using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Ingest
{
    /// <summary>
    /// The logging provider's write path: the same commands as <see cref="StoreAppender"/> (the
    /// registry, one server-side append per partition, one notification), encoded by
    /// <see cref="StorageFormat"/> straight into one buffer and sent over its own RESP connection
    /// in one write. StackExchange.Redis spends tens of microseconds of CPU per command of many
    /// arguments; this spends a few (docs/performance.md). Batches may overlap (the next is sent
    /// while the replies of the last are read). Every new connection checks the store's format
    /// version before anything is written on it; a broken connection is dropped and the next
    /// call opens a new one.
    /// </summary>
    public sealed class RespLogAppender : ILogAppender, IDisposable
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly ConfigurationOptions _options;
        private readonly string? _trustedAuthorityPath;
        private readonly StorageFormat _format;
        private readonly AppendPlanner _planner;
        private readonly string _formatKey;
        private readonly string _partitionsKey;
        private readonly RespCommandBuffer _commands = new RespCommandBuffer();
        private const int MaxConfirmedPartitions = 100_000;
        private readonly SemaphoreSlim _send = new SemaphoreSlim(1, 1);
        private readonly HashSet<string> _confirmed = new HashSet<string>(StringComparer.Ordinal);
        private Task _repliesRead = Task.CompletedTask;
        private RespConnection? _connection;
        private volatile bool _disposed;

        /// <param name="trustedAuthorityPath">A PEM file of the CA that alone may sign the server's TLS certificate; null to trust what the system trusts.</param>
        public RespLogAppender(ConfigurationOptions options, StorageFormat format, string? trustedAuthorityPath = null)
        {
            if (!Supports(options)) throw new ArgumentException("The write path serves one endpoint without sentinel, tunnel or proxy.", nameof(options));
            _options = options.Clone();
            _trustedAuthorityPath = trustedAuthorityPath;
            _format = format;
            _planner = new AppendPlanner(format);
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
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            if (batch.Unsettled == 0) return new AppendResult(0, Array.Empty<PartitionFailure>());
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.AsyncTimeout);
            try
            {
                AppendResult result;
                List<Partition> confirmed;
                try
                {
                    var sent = await SendAsync(batch, timeout.Token).ConfigureAwait(false);
                    (result, confirmed) = await ReadAsync(sent, batch, timeout.Token).ConfigureAwait(false);
                }
                catch (StaleConnectionException)
                {
                    // The connection had sat unused and was closed meanwhile: one more try at
                    // once on a new one, instead of a failed write and a retry delay.
                    var sent = await SendAsync(batch, timeout.Token).ConfigureAwait(false);
                    (result, confirmed) = await ReadAsync(sent, batch, timeout.Token).ConfigureAwait(false);
                }

                if (confirmed.Count > 0) result.RegistryFailure ??= await RegisterAsync(confirmed, timeout.Token).ConfigureAwait(false);
                return result;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                _planner.Reset();
                throw new TimeoutException($"Valkey did not answer a batch of {batch.Count} entries within {_options.AsyncTimeout} ms.");
            }
            catch
            {
                _planner.Reset();
                throw;
            }
        }

        /// <summary>What one batch sent, and what its replies said.</summary>
        private sealed class SentBatch
        {
            public SentBatch(RespConnection connection, List<PartitionRun> runs, bool registers, Task earlierReplies, TaskCompletionSource<bool> repliesRead)
            {
                Connection = connection;
                Runs = runs;
                Registers = registers;
                EarlierReplies = earlierReplies;
                RepliesRead = repliesRead;
            }

            public RespConnection Connection { get; }

            public List<PartitionRun> Runs { get; }

            /// <summary>Whether the batch begins with a registry HSET (of the partitions known to take writes).</summary>
            public bool Registers { get; }

            /// <summary>Done once every batch sent before this one has had its replies read.</summary>
            public Task EarlierReplies { get; }

            public TaskCompletionSource<bool> RepliesRead { get; }
        }

        private async Task<SentBatch> SendAsync(AppendBatch batch, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            TaskCompletionSource<bool>? repliesRead = null;
            RespConnection? connection = null;
            try
            {
                if (_disposed) throw new ObjectDisposedException(nameof(RespLogAppender));
                connection = _connection ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
                var runs = _planner.Plan(batch);
                var registers = Encode(batch, runs);

                // Take this batch's turn to read before the bytes go out, under the send lock, so
                // turns follow the order of the bytes on the wire.
                repliesRead = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var sent = new SentBatch(connection, runs, registers, _repliesRead, repliesRead);
                _repliesRead = repliesRead.Task;
                await connection.SendAsync(_commands, cancellationToken).ConfigureAwait(false);
                batch.MarkSent();
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
        /// Opens a connection and checks the store's format version on it before anything is
        /// written: a store of another version is refused before a single entry goes in.
        /// </summary>
        private async Task<RespConnection> OpenAsync(CancellationToken cancellationToken)
        {
            var connection = await RespConnection.OpenAsync(_options, _trustedAuthorityPath, cancellationToken).ConfigureAwait(false);
            try
            {
                var commands = new RespCommandBuffer(256);
                commands.BeginCommand(2);
                commands.WriteBulk("GET");
                commands.WriteBulk(_formatKey);
                await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
                var version = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
                if (version.IsError) throw StoreErrors.ClassifyServerReply(version.Text ?? "ERR", _formatKey);
                var text = version.Text;
                if (text is null)
                {
                    // Marks a new store. A writer whose ACL may not set the key (docs/operations.md)
                    // leaves it unset: a store without the key is version 1.
                    commands.Clear();
                    commands.BeginCommand(5);
                    commands.WriteBulk("SET");
                    commands.WriteBulk(_formatKey);
                    commands.WriteBulk(StorageFormat.Version);
                    commands.WriteBulk("NX");
                    commands.WriteBulk("GET");
                    await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
                    var previous = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
                    if (!previous.IsError) text = previous.Text;
                }

                _format.CheckVersion(text);
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Reads the batch's replies once the batches sent before it are read, and marks each
        /// run's entries as its reply arrives, so a connection lost mid-batch leaves every mark
        /// read before it right. A partition the server refused is a failure of that partition.
        /// </summary>
        private async Task<(AppendResult Result, List<Partition> Confirmed)> ReadAsync(SentBatch sent, AppendBatch batch, CancellationToken cancellationToken)
        {
            var connection = sent.Connection;
            try
            {
                await sent.EarlierReplies.ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                MonarchLogsException? registryFailure = null;
                if (sent.Registers)
                {
                    var registry = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
                    if (registry.IsError) registryFailure = StoreErrors.ClassifyServerReply(registry.Text ?? "ERR", _partitionsKey);
                }

                var confirmed = new List<Partition>();
                var stored = 0;
                var failures = new List<PartitionFailure>();
                foreach (var run in sent.Runs)
                {
                    var reply = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
                    if (reply.IsError)
                    {
                        failures.Add(new PartitionFailure(run.Partition, StoreErrors.ClassifyServerReply(reply.Text ?? "ERR", run.Partition.StreamKey)));
                        continue;
                    }

                    var count = reply.Items is { Length: 2 } items ? (int)items[0].Integer : 0;
                    for (var k = 0; k < count && k < run.Indexes.Count; k++) batch.MarkStored(run.Indexes[k]);
                    stored += count;
                    if (count > 0 && Confirm(run.Partition)) confirmed.Add(run.Partition);
                    var error = reply.Items is { Length: 2 } parts ? parts[1].Text : "ERR unexpected reply to the append script";
                    if (!string.IsNullOrEmpty(error)) failures.Add(new PartitionFailure(run.Partition, StoreErrors.ClassifyServerReply(error!, run.Partition.StreamKey)));
                }

                await connection.ReadAsync(false, cancellationToken).ConfigureAwait(false);
                foreach (var failure in failures) _planner.Forget(failure.Partition);
                return (new AppendResult(stored, failures) { RegistryFailure = registryFailure }, confirmed);
            }
            catch (Exception ex)
            {
                // Mid-pipeline the stream's place is unknown: this connection is done, and the
                // batches sent after this one fail too and are retried.
                if (Drop(connection, ex) is StaleConnectionException stale) throw stale;
                throw;
            }
            finally
            {
                sent.RepliesRead.TrySetResult(true);
            }
        }

        /// <summary>
        /// Encodes the batch: the registry (of the partitions that took writes before: it is
        /// restored if someone removed it), one append per partition run, one notification.
        /// Returns whether the registry is written.
        /// </summary>
        private bool Encode(AppendBatch batch, List<PartitionRun> runs)
        {
            var commands = _commands;
            commands.Clear();
            var known = new List<Partition>(runs.Count);
            lock (_confirmed)
            {
                foreach (var run in runs)
                {
                    if (_confirmed.Contains(run.Partition.StreamKey)) known.Add(run.Partition);
                }
            }

            if (known.Count > 0) WriteRegistry(commands, known);
            foreach (var run in runs)
            {
                StorageFormat.WriteAppend(commands, run.Partition.StreamKey, batch.Entries, run.Indexes, run.IdMilliseconds, LocalHost);
            }

            WriteNotice(commands, runs.ConvertAll(run => run.Partition));
            return known.Count > 0;
        }

        private void WriteRegistry(RespCommandBuffer commands, List<Partition> partitions)
        {
            commands.BeginCommand(2 + 2 * partitions.Count);
            commands.WriteBulk("HSET");
            commands.WriteBulk(_partitionsKey);
            foreach (var partition in partitions)
            {
                commands.WriteBulk(partition.StreamKey);
                commands.WriteBulk(StorageFormat.RegistryValue(partition));
            }
        }

        private void WriteNotice(RespCommandBuffer commands, List<Partition> partitions)
        {
            commands.BeginCommand(3);
            commands.WriteBulk("PUBLISH");
            commands.WriteBulk(_format.NotifyChannel);
            commands.WriteBulk(string.Join("\n", partitions.ConvertAll(partition => partition.StreamKey)));
        }

        /// <summary>Marks a partition as taking writes; true the first time.</summary>
        private bool Confirm(Partition partition)
        {
            lock (_confirmed)
            {
                return _confirmed.Count < MaxConfirmedPartitions && _confirmed.Add(partition.StreamKey);
            }
        }

        /// <summary>
        /// Registers partitions whose first entries were just stored, and tells live tails: a key
        /// that refuses writes (of another type, say) is never registered, so readers never list it.
        /// </summary>
        private async Task<MonarchLogsException?> RegisterAsync(List<Partition> partitions, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            TaskCompletionSource<bool>? repliesRead = null;
            RespConnection? connection = null;
            Task earlier;
            try
            {
                if (_disposed) throw new ObjectDisposedException(nameof(RespLogAppender));
                connection = _connection ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
                _commands.Clear();
                WriteRegistry(_commands, partitions);
                WriteNotice(_commands, partitions);
                repliesRead = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                earlier = _repliesRead;
                _repliesRead = repliesRead.Task;
                await connection.SendAsync(_commands, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                repliesRead?.TrySetResult(true);
                if (connection is not null && !(ex is MonarchLogsException)) Drop(connection, ex);
                ForgetConfirmed(partitions);
                throw;
            }
            finally
            {
                _send.Release();
            }

            try
            {
                await earlier.ConfigureAwait(false);
                var registry = await connection.ReadAsync(true, cancellationToken).ConfigureAwait(false);
                await connection.ReadAsync(false, cancellationToken).ConfigureAwait(false);
                if (!registry.IsError) return null;
                ForgetConfirmed(partitions);
                return StoreErrors.ClassifyServerReply(registry.Text ?? "ERR", _partitionsKey);
            }
            catch (Exception ex)
            {
                Drop(connection, ex);
                ForgetConfirmed(partitions);
                throw;
            }
            finally
            {
                repliesRead.TrySetResult(true);
            }
        }

        /// <summary>Registration failed: the next batch of these partitions registers them again.</summary>
        private void ForgetConfirmed(List<Partition> partitions)
        {
            lock (_confirmed)
            {
                foreach (var partition in partitions) _confirmed.Remove(partition.StreamKey);
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

        /// <summary>Closes the connection; a batch in flight fails at once instead of being waited for.</summary>
        public void Dispose()
        {
            _disposed = true;
            Interlocked.Exchange(ref _connection, null)?.Dispose();
        }
    }
}
