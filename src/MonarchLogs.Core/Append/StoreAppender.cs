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
    /// and one notification, in one pipeline: the format 1 write path. The format version, and the user of a connection
    /// made by <see cref="StoreConnection"/>, are checked before the first write, again after every
    /// reconnect and every few seconds (<see cref="FormatCheck"/>); it writes a version 1 store only.
    /// </summary>
    public sealed class StoreAppender : ILogAppender
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly AppendPlanner _planner;
        private readonly string _host;
        private readonly FormatCheck _check;
        private readonly SendTurns _turns;
        private readonly PartitionRegistry _registry;

        /// <param name="connection">The shared connection.</param>
        /// <param name="format">The store's format.</param>
        /// <param name="host">
        /// The host of an entry that names none: this machine's name unless given. An import passes
        /// the empty string, so that an entry keeps the host it was written with, or none.
        /// </param>
        public StoreAppender(IConnectionMultiplexer connection, StorageFormat format, string? host = null)
            : this(connection, format, host, null, null)
        {
        }

        /// <summary>An appender that shares the format check and the send order with another one (<see cref="VersionedAppender"/>).</summary>
        internal StoreAppender(IConnectionMultiplexer connection, StorageFormat format, string? host, FormatCheck? check, SendTurns? turns)
        {
            _host = host ?? LocalHost;
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _format = format ?? throw new ArgumentNullException(nameof(format));
            _planner = new AppendPlanner(format);
            _check = check ?? new FormatCheck(connection, format);
            _turns = turns ?? new SendTurns();
            _registry = new PartitionRegistry(format);
        }

        /// <inheritdoc />
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            var turn = _turns.Take(out var previous);
            var db = _connection.GetDatabase();
            List<PartitionRun> runs;
            Task registered;
            Task<RedisResult>[] appends;
            try
            {
                await previous.ConfigureAwait(false);
                await _check.EnsureWritesAsync(_connection, db, 1, cancellationToken).ConfigureAwait(false);
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
            var counts = new int[runs.Count];
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var append = appends[r];
                if (append.Status != TaskStatus.RanToCompletion)
                {
                    failures.Add(new PartitionFailure(run.Partition, StoreErrors.Classify(AppendReplies.Failure(append, ReplyTimeout), run.Partition.StreamKey)));
                    continue;
                }

                var reply = (RedisResult[])append.Result!;
                counts[r] = Math.Min((int)reply[0], run.Indexes.Count);
                var error = (string?)reply[1];
                if (!string.IsNullOrEmpty(error)) failures.Add(new PartitionFailure(run.Partition, StoreErrors.ClassifyServerReply(error!, run.Partition.StreamKey)));
            }

            var partitions = runs.Select(run => run.Partition).ToList();
            if (ReplicaAcknowledgements > 0)
            {
                await AppendReplies.AwaitReplicasAsync(_connection, db, partitions, counts, failures, ReplicaAcknowledgements, ReplicaAcknowledgementTimeout, cancellationToken).ConfigureAwait(false);
            }

            for (var r = 0; r < runs.Count; r++)
            {
                for (var k = 0; k < counts[r]; k++) batch.MarkStored(runs[r].Indexes[k]);
                stored += counts[r];
            }

            var registryFailure = await _registry.AfterBatchAsync(db, partitions, partitions.Where((_, r) => counts[r] > 0), stored, registered, cancellationToken).ConfigureAwait(false);
            foreach (var failure in failures) _planner.Forget(failure.Partition);
            return new AppendResult(stored, failures) { RegistryFailure = registryFailure };
        }

        /// <summary>
        /// How long an append waits for its replies before it counts them as timed out (see
        /// <see cref="AppendAsync"/>); far longer than the client's own timeouts.
        /// </summary>
        public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// Puts the batch on the wire, back to back on the connection: the registry, one append per
        /// partition. Each is its own command rather than one IBatch: a batch written while its
        /// connection drops may leave commands that were never sent and never fail, and the writer
        /// waiting on them for good (seen when a master was restarted beside its replica); a
        /// command of its own is failed or timed out by the client like any other.
        /// </summary>
        private (Task Registered, Task<RedisResult>[] Appends) Send(IDatabase db, AppendBatch batch, List<PartitionRun> runs)
        {
            var registered = _registry.RegisterKnown(db, runs.Select(run => run.Partition));
            var keepsCounts = _check.KeepsCounts;
            var appends = new Task<RedisResult>[runs.Count];
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];

                // Plain EVAL (NoScriptCache), never EVALSHA: a NOSCRIPT retry would be sent after
                // later commands and could store a partition's entries out of order. Valkey keeps
                // the compiled script by its digest, so the text costs bytes on the wire only.
                var keys = keepsCounts ? new RedisKey[] { run.Partition.StreamKey, run.Partition.CountsKey, run.Partition.HourCountsKey } : new RedisKey[] { run.Partition.StreamKey };
                appends[r] = db.ScriptEvaluateAsync(StorageFormat.AppendScript, keys,
                    StorageFormat.AppendArguments(run.Partition, batch.Entries, run.Indexes, run.IdMilliseconds, run.Hint, _host, keepsCounts), CommandFlags.NoScriptCache);
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
    }
}
