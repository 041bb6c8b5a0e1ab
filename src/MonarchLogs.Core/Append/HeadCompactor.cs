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
    /// Compacts partitions' heads into blocks of their streams (docs/design/storage-format-2.md,
    /// "the compaction script"). A writer checks the heads it wrote to, each at most every
    /// <see cref="CheckEvery"/> (sooner once it added <see cref="BlockPositions.MaxBlockEntries"/>
    /// entries there), in the background and one check at a time: the head's oldest block, and a
    /// compaction when it is older than <see cref="BlockPositions.CompactAfter"/> or the writer's
    /// entries there fill a block. A failure costs nothing but the compaction: it is reported and
    /// the head is checked again later.
    /// </summary>
    internal sealed class HeadCompactor
    {
        /// <summary>The least time between two checks of one head.</summary>
        public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(30);

        /// <summary>The least time between two checks of a head that filled a block since.</summary>
        private static readonly TimeSpan CheckFullEvery = TimeSpan.FromSeconds(1);

        /// <summary>Head blocks read per XRANGE.</summary>
        private const int PageBlocks = 64;

        /// <summary>The most entries one compaction moves; the rest waits for the next.</summary>
        private const int MostEntries = 4 * BlockPositions.MaxBlockEntries;

        private const int MostTracked = 10_000;

        private readonly IConnectionMultiplexer _connection;
        private readonly WriterIdentity _identity;
        private readonly Action<Partition, MonarchLogsException>? _failed;
        private readonly Dictionary<string, Tracked> _tracked = new Dictionary<string, Tracked>(StringComparer.Ordinal);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly SemaphoreSlim _one = new SemaphoreSlim(1, 1);
        private long _serverMs;
        private long _serverMsAt;

        public HeadCompactor(IConnectionMultiplexer connection, WriterIdentity identity, Action<Partition, MonarchLogsException>? failed)
        {
            _connection = connection;
            _identity = identity;
            _failed = failed;
        }

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

        /// <summary>Starts, in the background, the checks that are due, unless checks are running already.</summary>
        public void CompactDue()
        {
            List<Tracked> due;
            var now = _clock.Elapsed;
            lock (_tracked)
            {
                due = _tracked.Values.Where(tracked => now - tracked.CheckedAt >= CheckEvery
                    || (tracked.Entries >= BlockPositions.MaxBlockEntries && now - tracked.CheckedAt >= CheckFullEvery)).ToList();
                if (due.Count == 0 || _one.CurrentCount == 0) return;
            }

            _ = Task.Run(() => CheckAsync(due));
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

                    try
                    {
                        await CompactAsync(tracked.Partition, full, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        _failed?.Invoke(tracked.Partition, StoreErrors.Classify(ex, tracked.Partition.HeadKey));
                    }
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
        }

        /// <summary>
        /// Compacts the head of <paramref name="partition"/>: when <paramref name="force"/>, or its
        /// oldest block is older than <see cref="BlockPositions.CompactAfter"/>, its blocks (up to
        /// a few blocks' worth) become blocks of the stream, each replacing exactly the head blocks
        /// it holds. Answers the blocks added; a compaction that lost the race to another writer's stops there.
        /// </summary>
        public async Task<int> CompactAsync(Partition partition, bool force, CancellationToken cancellationToken)
        {
            var db = _connection.GetDatabase();
            var oldest = await db.StreamRangeAsync(partition.HeadKey, "-", "+", 1).WithCancellation(cancellationToken).ConfigureAwait(false);
            if (oldest.Length == 0) return 0;
            if (!force && StreamId.TryParse(oldest[0].Id, out var oldestId) && ServerNow() - oldestId.Milliseconds < (long)BlockPositions.CompactAfter.TotalMilliseconds) return 0;

            var groups = await ReadGroupsAsync(db, partition, cancellationToken).ConfigureAwait(false);
            var added = 0;
            using var encoder = new BlockEncoder();
            foreach (var group in groups)
            {
                var block = encoder.Encode(group.Entries, _identity.Id, _identity.Next());
                var reply = await ServerScripts.EvaluateAsync(db, BlockScripts.Compact, BlockScripts.CompactDigest, BlockScripts.CompactKeys(partition),
                    BlockScripts.CompactArguments(block, group.First, group.Last, group.HeadBlocks)).WithCancellation(cancellationToken).ConfigureAwait(false);
                if (reply.IsNull) break;
                added++;
            }

            return added;
        }

        /// <summary>The head's oldest blocks, decoded, without second copies of a (w, seq), cut into the groups each compaction block replaces, in head order.</summary>
        private static async Task<List<HeadGroup>> ReadGroupsAsync(IDatabase db, Partition partition, CancellationToken cancellationToken)
        {
            var groups = new List<HeadGroup>();
            var seen = new HashSet<(string, long)>();
            var entries = 0;
            using var decoder = new BlockDecoder();
            HeadGroup? current = null;
            var from = "-";
            while (entries < MostEntries)
            {
                var page = await db.StreamRangeAsync(partition.HeadKey, from, "+", PageBlocks).WithCancellation(cancellationToken).ConfigureAwait(false);
                foreach (var stream in page)
                {
                    var stored = StoredBlock.Read(partition, stream);
                    StreamId.TryParse(stream.Id, out var id);
                    var duplicate = stored.HasWriter && !seen.Add((stored.Header.WriterId, stored.Header.Sequence));
                    var decoded = duplicate ? new List<MonarchLogEntry>() : stored.Decode(partition, decoder);
                    var bytes = decoded.Sum(BlockCut.SizeOf);
                    if (current is null || (decoded.Count > 0 && current.Entries.Count > 0 && !current.Cut.Fits(decoded.Count, bytes, stored.Header.FirstTicks, stored.Header.LastTicks)))
                    {
                        if (entries >= MostEntries) break;
                        current = new HeadGroup(id);
                        groups.Add(current);
                    }

                    current.Add(id, decoded, bytes, stored.Header);
                    entries += decoded.Count;
                }

                if (page.Length < PageBlocks || entries >= MostEntries) break;
                from = "(" + page[page.Length - 1].Id;
            }

            // A last group of second copies only goes with the group before it.
            if (groups.Count > 1 && groups[groups.Count - 1].Entries.Count == 0)
            {
                var last = groups[groups.Count - 1];
                groups.RemoveAt(groups.Count - 1);
                groups[groups.Count - 1].Absorb(last);
            }

            return groups.Where(group => group.Entries.Count > 0).ToList();
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
        }

        /// <summary>Head blocks in a row that one compaction block replaces.</summary>
        private sealed class HeadGroup
        {
            public HeadGroup(StreamId first) => First = first;

            public StreamId First { get; }

            public StreamId Last { get; private set; }

            public int HeadBlocks { get; private set; }

            public List<MonarchLogEntry> Entries { get; } = new List<MonarchLogEntry>();

            public BlockCut Cut;

            public void Add(StreamId id, List<MonarchLogEntry> entries, long bytes, BlockHeader header)
            {
                Last = id;
                HeadBlocks++;
                if (entries.Count == 0) return;
                Entries.AddRange(entries);
                Cut.Add(entries.Count, bytes, header.FirstTicks, header.LastTicks);
            }

            public void Absorb(HeadGroup later)
            {
                Last = later.Last;
                HeadBlocks += later.HeadBlocks;
            }
        }
    }
}
