using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// The format 2 write path (docs/storage-format.md, version 2): a batch's entries of each
    /// partition become blocks (<see cref="BlockPlanner"/>), each added by one server-side script
    /// (<see cref="BlockScripts.Append"/>: the block, its counts, the late set), all pipelined; then
    /// the registry and one notification: an entry is marked once its block is stored (and, with replica
    /// acknowledgements, replicated), a refused partition costs that partition only, the format
    /// is checked after every reconnect. Heads it wrote to are compacted in the background
    /// (<see cref="HeadCompactor"/>). A batch marked <see cref="AppendBatch.AtEventTime"/> (an
    /// import's) has its blocks placed at their entries' time where the stream allows it.
    /// </summary>
    internal sealed class BlockAppender : ILogAppender
    {
        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly FormatCheck _check;
        private readonly SendTurns _turns;
        private readonly PartitionRegistry _registry;
        private readonly BlockPlanner _planner;

        /// <summary>Compacts the heads this appender wrote to.</summary>
        private readonly HeadCompactor _compactor;

        /// <summary>An appender that checks the store's format with <paramref name="check"/> and sends in the order of <paramref name="turns"/>; a head it cannot compact is told to <paramref name="compactionFailed"/>; <paramref name="compactAfter"/> and <paramref name="checkEvery"/> are the compactor's own unless a test shortens them.</summary>
        public BlockAppender(IConnectionMultiplexer connection, StorageFormat format, string host, FormatCheck check, SendTurns turns, Action<Partition, MonarchLogsException>? compactionFailed,
            TimeSpan? compactAfter = null, TimeSpan? checkEvery = null)
        {
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _format = format ?? throw new ArgumentNullException(nameof(format));
            _check = check;
            _turns = turns;
            _registry = new PartitionRegistry(format);
            var identity = new WriterIdentity();
            Identity = identity;
            WriterId = identity.Id;
            _planner = new BlockPlanner(format, identity, host);
            _compactor = new HeadCompactor(connection, identity, compactionFailed) 
            {
                CompactAfter = compactAfter ?? BlockPositions.CompactAfter,
                CheckEvery = checkEvery ?? HeadCompactor.DefaultCheckEvery,
            };
        }

        /// <summary>The writer of this appender's blocks: a caller that makes blocks itself (an import) numbers them with it.</summary>
        internal WriterIdentity Identity { get; }

        /// <summary>The <c>w</c> of every block this appender writes, compaction blocks included.</summary>
        public string WriterId { get; }

        /// <summary>How long an append waits for its replies before it counts them as timed out (<see cref="VersionedAppender.ReplyTimeout"/>).</summary>
        public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>Replicas that must have a block before its entries count as stored (<see cref="VersionedAppender.ReplicaAcknowledgements"/>).</summary>
        public int ReplicaAcknowledgements { get; init; }

        /// <summary>How long WAIT waits for the replicas.</summary>
        public TimeSpan ReplicaAcknowledgementTimeout { get; init; } = TimeSpan.FromSeconds(1);

        /// <inheritdoc />
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            var turn = _turns.Take(out var previous);
            var db = _connection.GetDatabase();
            List<PlannedBlock> blocks;
            List<Partition> partitions;
            Task registered;
            Task<RedisResult>[] appends;
            try
            {
                await previous.ConfigureAwait(false);
                await _check.EnsureWritesAsync(_connection, db, cancellationToken).ConfigureAwait(false);
                // A large batch is encoded on the thread pool: its caller (the writer's loop) goes
                // on to gather the next batch meanwhile, which waits for this one's turn to send.
                blocks = BlockPlanner.EncodesAside(batch)
                    ? await Task.Run(() => _planner.Plan(batch), cancellationToken).ConfigureAwait(false)
                    : _planner.Plan(batch);
                if (blocks.Count == 0) return new AppendResult(0, Array.Empty<PartitionFailure>());
                partitions = blocks.Select(block => block.Partition).Distinct().ToList();
                registered = _registry.RegisterKnown(db, partitions);
                var keepsCounts = _check.KeepsCounts;
                appends = new Task<RedisResult>[blocks.Count];
                for (var b = 0; b < blocks.Count; b++)
                {
                    // EVALSHA, and EVAL after a NOSCRIPT: the blocks carry their own order (event
                    // time), so a block sent again may come after later ones.
                    var block = blocks[b];
                    var toHead = ToHead(batch, block);
                    var keys = BlockScripts.AppendKeys(block.Partition, toHead, keepsCounts);
                    var arguments = BlockScripts.AppendArguments(block.Block, toHead, keepsCounts, batch.AtEventTime);
                    // Blocks placed at their event time must arrive in order (each goes after the
                    // stream's top): EVAL, since EVALSHAs refused for a lost script cache would be sent
                    // again as EVALs in the order their refusals come back.
                    appends[b] = batch.AtEventTime
                        ? db.ScriptEvaluateAsync(BlockScripts.Append, keys, arguments, CommandFlags.NoScriptCache)
                        : ServerScripts.EvaluateAsync(db, BlockScripts.Append, BlockScripts.AppendDigest, keys, arguments);
                }

                if (_connection.IsConnected) batch.MarkSent();
            }
            finally
            {
                turn.TrySetResult(true);
            }

            // Every reply is awaited up to ReplyTimeout: the client fails or times out its own
            // commands long before that, so a reply still missing then is one it lost, and the
            // writer must not wait on it for good. Such a block counts as timed out and is sent
            // again, with the same (w, seq).
            await Task.WhenAll(appends.Append<Task>(registered)).CompletesWithinAsync(ReplyTimeout, cancellationToken).ConfigureAwait(false);

            var failures = new List<PartitionFailure>();
            var counts = new int[blocks.Count];
            var latestId = 0L;
            for (var b = 0; b < blocks.Count; b++)
            {
                var block = blocks[b];
                var append = appends[b];
                if (append.Status == TaskStatus.RanToCompletion)
                {
                    counts[b] = block.Indexes.Count;
                    if (!StreamId.TryParse((string?)append.Result, out var id)) continue;
                    if (!batch.AtEventTime) latestId = Math.Max(latestId, id.Milliseconds);
                    else if (!BlockPositions.IsOnTime(id.Milliseconds, block.Block.Header.FirstTicks, block.Block.Header.LastTicks)) batch.AddLate(counts[b]);
                }
                else if (!failures.Any(failure => failure.Partition.StreamKey == block.Partition.StreamKey))
                {
                    failures.Add(new PartitionFailure(block.Partition, StoreErrors.Classify(AppendReplies.Failure(append, ReplyTimeout), block.Partition.StreamKey)));
                }
            }

            var items = blocks.Select(block => block.Partition).ToList();
            if (ReplicaAcknowledgements > 0)
            {
                await AppendReplies.AwaitReplicasAsync(_connection, db, items, counts, failures, ReplicaAcknowledgements, ReplicaAcknowledgementTimeout, cancellationToken).ConfigureAwait(false);
            }

            var stored = 0;
            for (var b = 0; b < blocks.Count; b++)
            {
                if (counts[b] == 0) continue;
                foreach (var index in blocks[b].Indexes) batch.MarkStored(index);
                stored += counts[b];
                if (ToHead(batch, blocks[b])) _compactor.Wrote(blocks[b].Partition, counts[b]);
            }

            var registryFailure = await _registry.AfterBatchAsync(db, partitions, items.Where((_, b) => counts[b] > 0), stored, registered, cancellationToken).ConfigureAwait(false);
            if (latestId > 0) _compactor.ServerTimeWas(latestId);
            _compactor.CompactDue();
            return new AppendResult(stored, failures) { RegistryFailure = registryFailure };
        }

        /// <summary>
        /// Whether a block goes to the head: a small one of a live writer's batch. A batch placed
        /// at its event time (an import's) puts every block into the stream, where it can stand at
        /// its entries' time: a head block would be read by every query until its compaction
        /// moved it to the stream at the server's time, late.
        /// </summary>
        private static bool ToHead(AppendBatch batch, PlannedBlock block) => block.ToHead && !batch.AtEventTime;
    }
}
