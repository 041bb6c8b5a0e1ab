using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Appends through StackExchange.Redis (any topology it serves: one server, several endpoints,
    /// Sentinel): the registry, one server-side append per partition (<see cref="StorageFormat.AppendScript"/>)
    /// and one notification, in one pipeline. The format version is checked before the first
    /// write and again after every reconnect.
    /// </summary>
    public sealed class StoreAppender : ILogAppender
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly AppendPlanner _planner;
        private readonly HashSet<string> _confirmed = new HashSet<string>(StringComparer.Ordinal);
        private readonly SemaphoreSlim _send = new SemaphoreSlim(1, 1);
        private int _formatChecked;

        public StoreAppender(IConnectionMultiplexer connection, StorageFormat format)
        {
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _format = format ?? throw new ArgumentNullException(nameof(format));
            _planner = new AppendPlanner(format);

            // A reconnect may reach another server (a failover, a restore): check it again.
            _connection.ConnectionRestored += (_, _) => Volatile.Write(ref _formatChecked, 0);
        }

        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            var db = _connection.GetDatabase();
            List<PartitionRun> runs;
            Task registered;
            Task<RedisResult>[] appends;

            // Overlapping batches are planned and sent in the order they came: the format check
            // before the first one waits for replies, and a batch that overtook an earlier one
            // would put its entries before the earlier one's in a partition.
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await EnsureFormatAsync(db, cancellationToken).ConfigureAwait(false);
                runs = _planner.Plan(batch);
                if (runs.Count == 0) return new AppendResult(0, Array.Empty<PartitionFailure>());

                // The registry names the partitions known to take writes (restoring it if someone
                // removed it); a new partition is registered once its first entries are stored, so a
                // key that refuses writes (of another type, say) is never listed for readers.
                var known = runs.Where(run => IsConfirmed(run.Partition)).Select(run => new HashEntry(run.Partition.StreamKey, StorageFormat.RegistryValue(run.Partition))).ToArray();
                var pipeline = db.CreateBatch();
                registered = known.Length > 0 ? pipeline.HashSetAsync(_format.PartitionsKey, known) : Task.CompletedTask;
                appends = new Task<RedisResult>[runs.Count];
                for (var r = 0; r < runs.Count; r++)
                {
                    var run = runs[r];
                    appends[r] = pipeline.ExecuteAsync("EVAL", StorageFormat.AppendArguments(run.Partition.StreamKey, batch.Entries, run.Indexes, run.IdMilliseconds, LocalHost));
                }

                pipeline.Execute();
            }
            finally
            {
                _send.Release();
            }

            if (_connection.IsConnected) batch.MarkSent();
            try
            {
                await Task.WhenAll(appends.Append<Task>(registered)).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Every reply is in; they are looked at one by one below.
            }

            var stored = 0;
            var failures = new List<PartitionFailure>();
            var confirmed = new List<HashEntry>();
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var append = appends[r];
                if (append.Status != TaskStatus.RanToCompletion)
                {
                    failures.Add(new PartitionFailure(run.Partition, StoreErrors.Classify(append.Exception!.InnerException!, run.Partition.StreamKey)));
                    continue;
                }

                var reply = (RedisResult[])append.Result!;
                var count = (int)reply[0];
                for (var k = 0; k < count && k < run.Indexes.Count; k++) batch.MarkStored(run.Indexes[k]);
                stored += count;
                if (count > 0 && Confirm(run.Partition)) confirmed.Add(new HashEntry(run.Partition.StreamKey, StorageFormat.RegistryValue(run.Partition)));
                var error = (string?)reply[1];
                if (!string.IsNullOrEmpty(error)) failures.Add(new PartitionFailure(run.Partition, StoreErrors.ClassifyServerReply(error!, run.Partition.StreamKey)));
            }

            if (stored > 0)
            {
                var notice = string.Join("\n", runs.Select(run => run.Partition.StreamKey));
                await db.PublishAsync(RedisChannel.Literal(_format.NotifyChannel), notice, CommandFlags.FireAndForget).ConfigureAwait(false);
            }

            var registryFailure = registered.Status == TaskStatus.RanToCompletion ? null : StoreErrors.Classify(registered.Exception!.InnerException!, _format.PartitionsKey.ToString());
            if (confirmed.Count > 0)
            {
                try
                {
                    await db.HashSetAsync(_format.PartitionsKey, confirmed.ToArray()).WithCancellation(cancellationToken).ConfigureAwait(false);
                    await db.PublishAsync(RedisChannel.Literal(_format.NotifyChannel), string.Join("\n", confirmed.Select(entry => (string?)entry.Name)), CommandFlags.FireAndForget).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    // The next batch of these partitions registers them again.
                    lock (_confirmed)
                    {
                        foreach (var entry in confirmed) _confirmed.Remove((string)entry.Name!);
                    }

                    registryFailure ??= StoreErrors.Classify(ex, _format.PartitionsKey.ToString());
                }
            }

            foreach (var failure in failures) _planner.Forget(failure.Partition);
            return new AppendResult(stored, failures) { RegistryFailure = registryFailure };
        }

        private bool IsConfirmed(Partition partition)
        {
            lock (_confirmed) return _confirmed.Contains(partition.StreamKey);
        }

        /// <summary>Marks a partition as taking writes; true the first time.</summary>
        private bool Confirm(Partition partition)
        {
            lock (_confirmed) return _confirmed.Count < 100_000 && _confirmed.Add(partition.StreamKey);
        }

        private async Task EnsureFormatAsync(IDatabase db, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _formatChecked) == 1) return;
            var version = await db.StringGetAsync(_format.FormatKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            if (version.IsNull)
            {
                try
                {
                    // Marks a new store. A writer whose ACL may not set the key (docs/operations.md)
                    // leaves it unset: a store without the key is version 1.
                    var previous = await db.ExecuteAsync("SET", _format.FormatKey, StorageFormat.Version, "NX", "GET").WithCancellation(cancellationToken).ConfigureAwait(false);
                    if (!previous.IsNull) version = (RedisValue)previous;
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
                {
                }
            }

            _format.CheckVersion(version.IsNull ? null : version.ToString());
            Volatile.Write(ref _formatChecked, 1);
        }
    }
}
