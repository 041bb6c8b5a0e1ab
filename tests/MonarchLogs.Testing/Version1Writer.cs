using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Testing
{
    /// <summary>
    /// A writer as the releases before this one were with new stores of format 1: it marks a
    /// new store version 1 and appends one stream entry per log entry (<see cref="Version1Script"/>:
    /// the same fields, IDs at event time, counts per minute and hour); once the store is version
    /// 2 (upgraded) it writes blocks, as those releases did. For tests and the benchmark, which
    /// need stores "written by an older version"; this version itself writes format 2 only.
    /// </summary>
    public sealed class Version1Writer : ILogAppender
    {
        private static readonly string LocalHost = Environment.MachineName;
        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly Version1Planner _planner;
        private readonly string _host;
        private readonly FormatCheck _check;
        private readonly PartitionRegistry _registry;
        private readonly Lazy<VersionedAppender> _blocks;

        /// <summary>Calls send in the order they were made; their replies are awaited side by side.</summary>
        private readonly SendTurns _turns = new SendTurns();
        private volatile bool _marked;
        private readonly System.Diagnostics.Stopwatch _sinceCheck = new System.Diagnostics.Stopwatch();
        private readonly Reconnects _reconnects;
        private int _version;
        private long _reconnectsAtCheck;

        /// <param name="connection">The shared connection.</param>
        /// <param name="format">The store's format.</param>
        /// <param name="host">The host of an entry that names none: this machine's name unless given.</param>
        public Version1Writer(IConnectionMultiplexer connection, StorageFormat format, string? host = null)
        {
            _host = host ?? LocalHost;
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _format = format ?? throw new ArgumentNullException(nameof(format));
            _planner = new Version1Planner(format);
            _check = new FormatCheck(connection, format);
            _reconnects = Reconnects.Of(connection);
            _registry = new PartitionRegistry(format);
            _blocks = new Lazy<VersionedAppender>(() => new VersionedAppender(connection, format, _host)
            {
                ReplyTimeout = ReplyTimeout,
                ReplicaAcknowledgements = ReplicaAcknowledgements,
                ReplicaAcknowledgementTimeout = ReplicaAcknowledgementTimeout,
            });
        }

        /// <summary>How long an append waits for its replies before it counts them as timed out.</summary>
        public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>Replicas that must confirm an entry before it counts as stored (WAIT).</summary>
        public int ReplicaAcknowledgements { get; init; }

        /// <summary>How long WAIT waits for the replicas.</summary>
        public TimeSpan ReplicaAcknowledgementTimeout { get; init; } = TimeSpan.FromSeconds(1);

        /// <summary>Whether the last append found the store version 2 and wrote blocks.</summary>
        public bool WroteBlocks { get; private set; }

        /// <summary>Marks a store without a format key version 1 (as those releases did with new stores of format 1); a user that may not set it leaves it unset.</summary>
        public async Task MarkAsync()
        {
            try
            {
                await _connection.GetDatabase().ExecuteAsync("SET", _format.FormatKey, StorageFormat.Version, "NX").ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
            }
        }

        /// <summary>Appends a batch and throws the first partition's failure; the count stored.</summary>
        public async Task<int> AppendAllAsync(IReadOnlyList<MonarchLogEntry> entries)
        {
            var result = await AppendAsync(new AppendBatch(entries)).ConfigureAwait(false);
            if (result.Failures.Count > 0) throw result.Failures[0].Error;
            return result.Stored;
        }

        /// <inheritdoc />
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            var turn = _turns.Take(out var previous);
            var db = _connection.GetDatabase();
            Task<AppendResult>? blocks = null;
            List<Version1Run> runs;
            Task registered = Task.CompletedTask;
            Task<RedisResult>[] appends = Array.Empty<Task<RedisResult>>();
            try
            {
                await previous.ConfigureAwait(false);
                if (!_marked)
                {
                    await MarkAsync().ConfigureAwait(false);
                    _marked = true;
                }

                await StoreConnection.EnsureVerifiedAsync(_connection, cancellationToken).ConfigureAwait(false);
                var version = await VersionAsync(db, cancellationToken).ConfigureAwait(false);
                WroteBlocks = version == 2;
                if (version == 2)
                {
                    blocks = _blocks.Value.AppendAsync(batch, cancellationToken);
                    runs = new List<Version1Run>();
                }
                else
                {
                    runs = _planner.Plan(batch);
                    if (runs.Count == 0) return new AppendResult(0, Array.Empty<PartitionFailure>());
                    (registered, appends) = Send(db, batch, runs);
                }
            }
            finally
            {
                turn.TrySetResult(true);
            }

            return blocks is not null ? await blocks.ConfigureAwait(false) : await CollectAsync(db, batch, runs, registered, appends, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// The store's version as those releases read it: trusted for <see cref="FormatCheck.RecheckEvery"/>
        /// (but after a reconnect), so after an upgrade marks the store they still add format 1
        /// entries for a while, which the upgrade converts.
        /// </summary>
        private async Task<int> VersionAsync(IDatabase db, CancellationToken cancellationToken)
        {
            if (_version != 0 && _sinceCheck.Elapsed < FormatCheck.RecheckEvery && _reconnectsAtCheck == _reconnects.Count) return _version;
            var reconnects = _reconnects.Count;
            var version = await _check.EnsureAsync(db, cancellationToken).ConfigureAwait(false);
            (_version, _reconnectsAtCheck) = (version, reconnects);
            _sinceCheck.Restart();
            return version;
        }

        /// <summary>Every reply, awaited up to <see cref="ReplyTimeout"/>; the entries stored are marked, from the start of each run.</summary>
        private async Task<AppendResult> CollectAsync(IDatabase db, AppendBatch batch, List<Version1Run> runs, Task registered, Task<RedisResult>[] appends, CancellationToken cancellationToken)
        {
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

        /// <summary>The registry, then one append per partition, each its own command (plain EVAL, never EVALSHA).</summary>
        private (Task Registered, Task<RedisResult>[] Appends) Send(IDatabase db, AppendBatch batch, List<Version1Run> runs)
        {
            var registered = _registry.RegisterKnown(db, runs.Select(run => run.Partition));
            var keepsCounts = _check.KeepsCounts;
            var appends = new Task<RedisResult>[runs.Count];
            for (var r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var keys = keepsCounts ? new RedisKey[] { run.Partition.StreamKey, run.Partition.CountsKey, run.Partition.HourCountsKey } : new RedisKey[] { run.Partition.StreamKey };
                appends[r] = db.ScriptEvaluateAsync(Version1Script.AppendScript, keys,
                    Version1Script.AppendArguments(run.Partition, batch.Entries, run.Indexes, run.IdMilliseconds, run.Hint, _host, keepsCounts), CommandFlags.NoScriptCache);
            }

            if (_connection.IsConnected) batch.MarkSent();
            return (registered, appends);
        }
    }
}
