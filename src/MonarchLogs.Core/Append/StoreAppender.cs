using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Appends through StackExchange.Redis (any topology it serves: one server, several endpoints,
    /// Sentinel): the registry, one server-side append per partition (<see cref="StorageFormat.AppendScript"/>)
    /// and one notification, in one pipeline. The format version, and the user of a connection
    /// made by <see cref="StoreConnection"/>, are checked before the first write and again after every reconnect.
    /// </summary>
    public sealed class StoreAppender : ILogAppender
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly AppendPlanner _planner;
        private readonly string _host;
        private readonly HashSet<string> _confirmed = new HashSet<string>(StringComparer.Ordinal);
        private readonly Reconnects _reconnects;

        /// <summary>The connection's <see cref="Reconnects.Count"/> when the format was last checked; -1 before the first check.</summary>
        private long _formatCheckedAt = -1;
        private volatile bool _keepsCounts = true;
        private Task _lastSend = Task.CompletedTask;

        /// <param name="connection">The shared connection.</param>
        /// <param name="format">The store's format.</param>
        /// <param name="host">
        /// The host of an entry that names none: this machine's name unless given. An import passes
        /// the empty string, so that an entry keeps the host it was written with, or none.
        /// </param>
        public StoreAppender(IConnectionMultiplexer connection, StorageFormat format, string? host = null)
        {
            _host = host ?? LocalHost;
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _format = format ?? throw new ArgumentNullException(nameof(format));
            _planner = new AppendPlanner(format);

            // A reconnect may reach another server (a failover, a restore): the format is checked
            // again once the connection's count of reconnects moved.
            _reconnects = Reconnects.Of(_connection);
        }

        /// <inheritdoc />
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            // Calls may overlap (the writer sends the next batch while the last one's replies are
            // read); they take turns to send, in the order they were made, so a partition's
            // entries reach the server in queue order even when a call first awaits the format check.
            var turn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var previous = Interlocked.Exchange(ref _lastSend, turn.Task);
            var db = _connection.GetDatabase();
            List<PartitionRun> runs;
            Task registered;
            Task<RedisResult>[] appends;
            try
            {
                await previous.ConfigureAwait(false);
                // Nothing is written as another user than the one configured (a refused password
                // that fell back to an open default user), nor while a refused certificate keeps the connection down.
                await StoreConnection.EnsureVerifiedAsync(_connection, cancellationToken).ConfigureAwait(false);
                await EnsureFormatAsync(db, cancellationToken).ConfigureAwait(false);
                runs = _planner.Plan(batch);
                if (runs.Count == 0) return new AppendResult(0, Array.Empty<PartitionFailure>());
                (registered, appends) = Send(db, batch, runs);
            }
            finally
            {
                turn.TrySetResult(true);
            }


            // Every reply is awaited, up to ReplyTimeout: the client fails or times out its own
            // commands long before that, so a reply still missing then is one it lost, and the
            // writer must not wait on it for good. Such an append counts as timed out (transient):
            // its entries are not marked, so the retry sends them again.
            await Task.WhenAll(appends.Append<Task>(registered)).CompletesWithinAsync(ReplyTimeout, cancellationToken).ConfigureAwait(false);

            var stored = 0;
            var failures = new List<PartitionFailure>();
            var confirmed = new List<HashEntry>();
            var counts = new int[runs.Count];
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var append = appends[r];
                if (append.Status != TaskStatus.RanToCompletion)
                {
                    failures.Add(new PartitionFailure(run.Partition, StoreErrors.Classify(Failure(append), run.Partition.StreamKey)));
                    continue;
                }

                var reply = (RedisResult[])append.Result!;
                counts[r] = Math.Min((int)reply[0], run.Indexes.Count);
                var error = (string?)reply[1];
                if (!string.IsNullOrEmpty(error)) failures.Add(new PartitionFailure(run.Partition, StoreErrors.ClassifyServerReply(error!, run.Partition.StreamKey)));
            }

            if (ReplicaAcknowledgements > 0) await AwaitReplicasAsync(db, runs, counts, failures, cancellationToken).ConfigureAwait(false);
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                for (var k = 0; k < counts[r]; k++) batch.MarkStored(run.Indexes[k]);
                stored += counts[r];
                if (counts[r] > 0 && Confirm(run.Partition)) confirmed.Add(new HashEntry(run.Partition.StreamKey, StorageFormat.RegistryValue(run.Partition)));
            }

            if (stored > 0)
            {
                var notice = string.Join("\n", runs.Select(run => run.Partition.StreamKey));
                await db.PublishAsync(RedisChannel.Literal(_format.NotifyChannel), notice, CommandFlags.FireAndForget).ConfigureAwait(false);
            }

            var registryFailure = registered.Status == TaskStatus.RanToCompletion ? null : StoreErrors.Classify(Failure(registered), _format.PartitionsKey.ToString());
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

        /// <summary>
        /// How long an append waits for its replies before it counts them as timed out (see
        /// <see cref="AppendAsync"/>); far longer than the client's own timeouts.
        /// </summary>
        public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>Why a command has no result: its fault, or no reply within <see cref="ReplyTimeout"/>.</summary>
        private Exception Failure(Task command) =>
            command.Exception?.InnerException
            ?? new TimeoutException(command.IsCanceled ? "The command was cancelled by the client." : $"No reply within {ReplyTimeout.TotalSeconds:0.#} s.");

        /// <summary>
        /// Puts the batch on the wire, back to back on the connection: the registry, one append per
        /// partition. Each is its own command rather than one IBatch: a batch written while its
        /// connection drops may leave commands that were never sent and never fail, and the writer
        /// waiting on them for good (seen when a master was restarted beside its replica); a
        /// command of its own is failed or timed out by the client like any other.
        /// </summary>
        private (Task Registered, Task<RedisResult>[] Appends) Send(IDatabase db, AppendBatch batch, List<PartitionRun> runs)
        {
            // The registry names the partitions known to take writes (restoring it if someone
            // removed it); a new partition is registered once its first entries are stored, so a
            // key that refuses writes (of another type, say) is never listed for readers.
            var known = runs.Where(run => IsConfirmed(run.Partition)).Select(run => new HashEntry(run.Partition.StreamKey, StorageFormat.RegistryValue(run.Partition))).ToArray();
            var registered = known.Length > 0 ? db.HashSetAsync(_format.PartitionsKey, known) : Task.CompletedTask;
            var appends = new Task<RedisResult>[runs.Count];
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];

                // Plain EVAL (NoScriptCache), never EVALSHA: a NOSCRIPT retry would be sent after
                // later commands and could store a partition's entries out of order. Valkey keeps
                // the compiled script by its digest, so the text costs bytes on the wire only.
                var keys = _keepsCounts ? new RedisKey[] { run.Partition.StreamKey, run.Partition.CountsKey, run.Partition.HourCountsKey } : new RedisKey[] { run.Partition.StreamKey };
                appends[r] = db.ScriptEvaluateAsync(StorageFormat.AppendScript, keys,
                    StorageFormat.AppendArguments(run.Partition, batch.Entries, run.Indexes, run.IdMilliseconds, run.Hint, _host, _keepsCounts), CommandFlags.NoScriptCache);
            }

            if (_connection.IsConnected) batch.MarkSent();
            return (registered, appends);
        }

        /// <summary>
        /// With <see cref="ReplicaAcknowledgements"/>, an entry counts as stored only once that
        /// many replicas have it (WAIT on each master written to, after its appends on the same
        /// connection). Entries a master took but its replicas did not confirm in time are not
        /// marked: the retry sends them again, so a failover that drops them from the demoted
        /// master loses nothing (and a slow replica may get them twice).
        /// </summary>
        public int ReplicaAcknowledgements { get; init; }

        /// <summary>How long WAIT waits for the replicas.</summary>
        public TimeSpan ReplicaAcknowledgementTimeout { get; init; } = TimeSpan.FromSeconds(1);

        private async Task AwaitReplicasAsync(IDatabase db, List<PartitionRun> runs, int[] counts, List<PartitionFailure> failures, CancellationToken cancellationToken)
        {
            var byServer = new Dictionary<System.Net.EndPoint, List<int>>();
            for (var r = 0; r < runs.Count; r++)
            {
                if (counts[r] == 0) continue;
                var endpoint = await db.IdentifyEndpointAsync(runs[r].Partition.StreamKey, CommandFlags.DemandMaster).ConfigureAwait(false);
                if (endpoint is null)
                {
                    Unconfirmed(r, "no master");
                    continue;
                }

                if (!byServer.TryGetValue(endpoint, out var list)) byServer[endpoint] = list = new List<int>();
                list.Add(r);
            }

            var waits = byServer.Keys.Select(endpoint => _connection.GetServer(endpoint)
                .ExecuteAsync("WAIT", ReplicaAcknowledgements, (long)ReplicaAcknowledgementTimeout.TotalMilliseconds)).ToArray();
            try
            {
                await Task.WhenAll(waits).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
            }

            var i = 0;
            foreach (var pair in byServer)
            {
                var wait = waits[i++];
                var acknowledged = wait.Status == TaskStatus.RanToCompletion ? (long)wait.Result : -1;
                if (acknowledged >= ReplicaAcknowledgements) continue;
                foreach (var r in pair.Value) Unconfirmed(r, acknowledged < 0 ? "WAIT failed" : $"{acknowledged} of {ReplicaAcknowledgements} replicas within {ReplicaAcknowledgementTimeout.TotalMilliseconds} ms");
            }

            void Unconfirmed(int r, string why)
            {
                counts[r] = 0;
                failures.RemoveAll(failure => failure.Partition.StreamKey == runs[r].Partition.StreamKey);
                failures.Add(new PartitionFailure(runs[r].Partition, StoreErrors.ClassifyServerReply("NOREPLICAS Not acknowledged by the replicas: " + why, runs[r].Partition.StreamKey)));
            }
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
            // Read before the check: a reconnect while it runs makes the next append check again.
            var reconnects = _reconnects.Count;
            if (Interlocked.Read(ref _formatCheckedAt) == reconnects) return;
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
            _keepsCounts = await MayWriteCountsAsync(db, cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _formatCheckedAt, reconnects);
        }

        /// <summary>
        /// Whether this connection's user may write the counts hashes. A user of an older role
        /// (docs/operations.md) may write the streams only: it then appends without counting, and
        /// the statistics count those partitions by reading them, so nothing is stored less and no
        /// figure is wrong. Asked with a script that declares a counts key (Valkey checks a script's
        /// keys against the ACL before it runs) and asks the ACL about HINCRBY without running it.
        /// </summary>
        private async Task<bool> MayWriteCountsAsync(IDatabase db, CancellationToken cancellationToken)
        {
            try
            {
                var probe = _format.CountsKeyOf(_format.Prefix + ":stream:probe:information");
                var allowed = await db.ScriptEvaluateAsync("return redis.acl_check_cmd('hincrby', KEYS[1], 'probe', '1') and 1 or 0", new RedisKey[] { probe }, flags: CommandFlags.NoScriptCache)
                    .WithCancellation(cancellationToken).ConfigureAwait(false);
                return (long)allowed == 1;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
                return false;
            }
        }
    }
}
