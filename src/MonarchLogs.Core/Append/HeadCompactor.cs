using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Compacts partitions' heads into blocks of their streams (docs/storage-format.md,
    /// "The head and its compaction"). A writer checks the heads it wrote to, each at most every
    /// <see cref="CheckEvery"/> (sooner once it added <see cref="BlockPositions.MaxBlockEntries"/>
    /// entries there), in the background and one check at a time: the head's oldest block, and a
    /// compaction when it is older than <see cref="BlockPositions.CompactAfter"/> or the writer's
    /// entries there fill a block. A head found too young is checked again when it comes due,
    /// also when the writer has nothing more to write. A failure costs nothing but the
    /// compaction: it is reported and the head is checked again later.
    /// </summary>
    internal sealed class HeadCompactor
    {

        /// <summary>The least time between two checks of a head that filled a block since.</summary>
        private static readonly TimeSpan CheckFullEvery = TimeSpan.FromSeconds(1);

        private const int MostTracked = 10_000;

        /// <summary>An encoder per thread (its zstd context and buffers made once), as the planner keeps them.</summary>
        private static readonly ThreadLocal<BlockEncoder> Encoders = new ThreadLocal<BlockEncoder>(() => new BlockEncoder());

        private readonly IConnectionMultiplexer _connection;
        private readonly WriterIdentity _identity;
        private readonly Action<Partition, MonarchLogsException>? _failed;
        private readonly Dictionary<string, Tracked> _tracked = new Dictionary<string, Tracked>(StringComparer.Ordinal);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly SemaphoreSlim _one = new SemaphoreSlim(1, 1);
        private long _serverMs;
        private long _serverMsAt;
        private bool _armed;

        public HeadCompactor(IConnectionMultiplexer connection, WriterIdentity identity, Action<Partition, MonarchLogsException>? failed)
        {
            _connection = connection;
            _identity = identity;
            _failed = failed;
        }

        /// <summary>The least time between two checks of one head written to.</summary>
        public static readonly TimeSpan DefaultCheckEvery = TimeSpan.FromSeconds(30);

        /// <summary>The least time between two checks of one head written to (tests shorten it).</summary>
        public TimeSpan CheckEvery { get; init; } = DefaultCheckEvery;

        /// <summary>How old a head's oldest block gets before the head is compacted (tests shorten it).</summary>
        public TimeSpan CompactAfter { get; init; } = BlockPositions.CompactAfter;

        /// <summary>Notes that this writer stored <paramref name="entries"/> in the head of <paramref name="partition"/>.</summary>
        public void Wrote(Partition partition, int entries)
        {
            lock (_tracked)
            {
                if (!_tracked.TryGetValue(partition.StreamKey, out var tracked))
                {
                    if (_tracked.Count >= MostTracked) return;
                    _tracked[partition.StreamKey] = tracked = new Tracked(partition, _clock.Elapsed);
                }

                tracked.Entries += entries;
            }
        }

        /// <summary>The server's clock, from the ID of a block it just stored (head ages are measured on it, not on this machine's clock).</summary>
        public void ServerTimeWas(long unixMilliseconds)
        {
            lock (_tracked)
            {
                _serverMs = unixMilliseconds;
                _serverMsAt = (long)_clock.Elapsed.TotalMilliseconds;
            }
        }

        /// <summary>Starts, in the background, the checks that are due, unless checks are running already; else wakes up when the next one is.</summary>
        public void CompactDue()
        {
            var due = Due();
            if (due.Count == 0) Arm();
            else if (_one.CurrentCount > 0) _ = Task.Run(() => CheckAsync(due));
        }

        /// <summary>
        /// The heads to check now: written to since their last check and not checked for
        /// <see cref="CheckEvery"/> (or filled with a block's worth), or found too young before and due now.
        /// </summary>
        private List<Tracked> Due()
        {
            var now = _clock.Elapsed;
            var serverNow = ServerNow();
            lock (_tracked)
            {
                return _tracked.Values.Where(tracked => (tracked.DueAtMs > 0 && tracked.DueAtMs <= serverNow)
                    || (tracked.Entries > 0 && now - tracked.CheckedAt >= CheckEvery)
                    || (tracked.Entries >= BlockPositions.MaxBlockEntries && now - tracked.CheckedAt >= CheckFullEvery)).ToList();
            }
        }

        private async Task CheckAsync(List<Tracked> due)
        {
            if (!await _one.WaitAsync(0).ConfigureAwait(false)) return;
            try
            {
                foreach (var tracked in due)
                {
                    bool full;
                    // A failure waits for the next regular check, not for the next batch.
                    lock (_tracked)
                    {
                        tracked.CheckedAt = _clock.Elapsed;
                        full = tracked.Entries >= BlockPositions.MaxBlockEntries;
                        tracked.Entries = 0;
                    }

                    var dueAt = 0L;
                    try
                    {
                        dueAt = (await CompactHeadAsync(tracked.Partition, full, CancellationToken.None).ConfigureAwait(false)).DueAtMs;
                    }
                    catch (Exception ex)
                    {
                        _failed?.Invoke(tracked.Partition, StoreErrors.Classify(ex, tracked.Partition.HeadKey));
                    }

                    lock (_tracked) tracked.DueAtMs = dueAt;
                }
            }
            catch (Exception ex)
            {
                // A failing report must not become an unobserved task exception.
                Trace.TraceError("MonarchLogs head compaction: " + ex);
            }
            finally
            {
                _one.Release();
            }

            Arm();
        }

        /// <summary>
        /// Wakes up when the next check comes due (a head written to since its last check, or one
        /// found too young), so that a writer with nothing more to write still compacts what it
        /// left in its heads. One wake-up at a time; none once the connection is closed.
        /// </summary>
        private void Arm()
        {
            TimeSpan wait;
            lock (_tracked)
            {
                var now = _clock.Elapsed;
                var serverNow = ServerNow();
                var waits = _tracked.Values.SelectMany(tracked => new[]
                {
                    tracked.DueAtMs > 0 ? TimeSpan.FromMilliseconds(Math.Max(0, tracked.DueAtMs - serverNow)) : TimeSpan.MaxValue,
                    tracked.Entries > 0 ? tracked.CheckedAt + CheckEvery - now : TimeSpan.MaxValue,
                }).DefaultIfEmpty(TimeSpan.MaxValue).Min();
                if (_armed || waits == TimeSpan.MaxValue) return;
                _armed = true;
                wait = waits < TimeSpan.Zero ? TimeSpan.Zero : waits;
            }

            _ = Task.Delay(wait + TimeSpan.FromSeconds(1)).ContinueWith(_ =>
            {
                lock (_tracked) _armed = false;
                if (_connection.IsConnected) CompactDue();
            }, TaskScheduler.Default);
        }

        /// <summary>
        /// Compacts the head of <paramref name="partition"/>: when <paramref name="force"/>, or its
        /// oldest block is older than <see cref="BlockPositions.CompactAfter"/>, its blocks (up to
        /// a few blocks' worth) become blocks of the stream, each replacing exactly the head blocks
        /// it holds. Answers the blocks added; a compaction that lost the race to another writer's stops there.
        /// </summary>
        public async Task<int> CompactAsync(Partition partition, bool force, CancellationToken cancellationToken) =>
            (await CompactHeadAsync(partition, force, cancellationToken).ConfigureAwait(false)).Added;

        /// <summary><see cref="CompactAsync"/>, and when (server Unix ms) what is left in the head comes due; 0 when the head is empty.</summary>
        private async Task<(int Added, long DueAtMs)> CompactHeadAsync(Partition partition, bool force, CancellationToken cancellationToken)
        {
            var db = _connection.GetDatabase();
            var oldest = await OldestAsync(db, partition, cancellationToken).ConfigureAwait(false);
            if (oldest == 0) return (0, 0);
            var compactAfter = (long)CompactAfter.TotalMilliseconds;
            if (!force && ServerNow() - oldest < compactAfter) return (0, oldest + compactAfter);

            var groups = await HeadGroup.ReadAsync(db, partition, cancellationToken).ConfigureAwait(false);
            var added = 0;
            foreach (var group in groups)
            {
                // The head blocks' JSON lines as they are; decoded and encoded again only when they
                // are not as this writer writes them (another writer's, or written by hand).
                var encoder = Encoders.Value!;
                var sequence = _identity.Next();
                var block = group.Encoded is { } encoded ? encoder.TryConcatenate(encoded, _identity.Id, sequence) : null;
                if (block is null)
                {
                    using var decoder = new BlockDecoder();
                    block = encoder.Encode(group.Decode(partition, decoder), _identity.Id, sequence);
                }

                var reply = await ServerScripts.EvaluateAsync(db, BlockScripts.Compact, BlockScripts.CompactDigest, BlockScripts.CompactKeys(partition),
                    BlockScripts.CompactArguments(block, group.First, group.Last, group.HeadBlocks)).WithCancellation(cancellationToken).ConfigureAwait(false);
                if (reply.IsNull) break;
                added++;
            }

            var left = await OldestAsync(db, partition, cancellationToken).ConfigureAwait(false);
            return (added, left == 0 ? 0 : left + compactAfter);
        }

        /// <summary>The ID time of the head's oldest block; 0 when the head is empty.</summary>
        private static async Task<long> OldestAsync(IDatabase db, Partition partition, CancellationToken cancellationToken)
        {
            var oldest = await db.StreamRangeAsync(partition.HeadKey, "-", "+", 1).WithCancellation(cancellationToken).ConfigureAwait(false);
            return oldest.Length > 0 && StreamId.TryParse(oldest[0].Id, out var id) ? Math.Max(1, id.Milliseconds) : 0;
        }

        private long ServerNow()
        {
            lock (_tracked)
            {
                if (_serverMs == 0) return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                return _serverMs + ((long)_clock.Elapsed.TotalMilliseconds - _serverMsAt);
            }
        }

        private sealed class Tracked
        {
            public Tracked(Partition partition, TimeSpan checkedAt)
            {
                Partition = partition;
                CheckedAt = checkedAt;
            }

            public Partition Partition { get; }

            public TimeSpan CheckedAt { get; set; }

            public int Entries { get; set; }

            /// <summary>When (server Unix ms) the head's oldest block, as last seen, comes due; 0 when none is waiting.</summary>
            public long DueAtMs { get; set; }
        }
    }
}
