using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Reads stream entries of one key by their IDs (a partition's late blocks, for a query or for
    /// retention), each command short. The IDs are read in ID order, a run at a time: one XRANGE
    /// from the first ID still wanted to the last, with a COUNT of no more than the IDs still
    /// wanted, sized from the bytes of the run before, so that IDs next to each other in the
    /// stream (the blocks of an upgrade, of a writer back from an outage) come a run per command.
    /// When a run brings back more other entries than wanted ones, the IDs lie far apart: the
    /// rest are read one XRANGE each, all at once. A few runs go side by side.
    /// </summary>
    internal static class BlocksById
    {
        private const int FirstRun = 8;
        private const int LargestRun = 1000;
        private const long RunBytes = 400_000;
        private const int Chains = 4;

        /// <summary>The entries with these IDs, in the order given; null for one that is not there.</summary>
        public static async Task<StreamEntry?[]> ReadAsync(IDatabaseAsync db, RedisKey key, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken)
        {
            var result = new StreamEntry?[ids.Count];
            if (ids.Count == 0) return result;
            var order = Enumerable.Range(0, ids.Count).OrderBy(i => ids[i]).ToArray();
            var chains = Math.Max(1, Math.Min(Chains, ids.Count / FirstRun));
            var reads = new Task[chains];
            for (var c = 0; c < chains; c++)
            {
                var chain = new Chain(db, key, ids, order, ids.Count * c / chains, ids.Count * (c + 1) / chains, result);
                reads[c] = chain.ReadAsync(cancellationToken);
            }

            await Task.WhenAll(reads).ConfigureAwait(false);
            return result;
        }

        /// <summary>Bytes of a stream entry as read: its fields' names and values, and its ID.</summary>
        public static long SizeOf(StreamEntry entry)
        {
            long bytes = 16;
            foreach (var field in entry.Values ?? Array.Empty<NameValueEntry>()) bytes += field.Name.Length() + field.Value.Length();
            return bytes;
        }

        /// <summary>The IDs <c>order[start..end)</c> (indexes into the IDs given, in ID order), read run after run.</summary>
        private sealed class Chain
        {
            private readonly IDatabaseAsync _db;
            private readonly RedisKey _key;
            private readonly IReadOnlyList<StreamId> _ids;
            private readonly int[] _order;
            private readonly int _end;
            private readonly StreamEntry?[] _result;
            private int _next;

            public Chain(IDatabaseAsync db, RedisKey key, IReadOnlyList<StreamId> ids, int[] order, int start, int end, StreamEntry?[] result)
            {
                _db = db;
                _key = key;
                _ids = ids;
                _order = order;
                _next = start;
                _end = end;
                _result = result;
            }

            private StreamId Wanted(int index) => _ids[_order[index]];

            public async Task ReadAsync(CancellationToken cancellationToken)
            {
                var count = FirstRun;
                while (_next < _end)
                {
                    var asked = Math.Min(count, _end - _next);
                    var run = await _db.StreamRangeAsync(_key, Wanted(_next).ToString(), Wanted(_end - 1).ToString(), asked)
                        .WithCancellation(cancellationToken).ConfigureAwait(false);
                    long bytes = 0;
                    var found = 0;
                    foreach (var entry in run)
                    {
                        bytes += SizeOf(entry);
                        if (StreamId.TryParse(entry.Id, out var id)) found += Take(id, entry);
                    }

                    // Fewer than asked: the whole range was read, and an ID not found is not there.
                    if (run.Length < asked) return;
                    if (found * 2 < run.Length)
                    {
                        await ReadEachAsync(cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    count = (int)Math.Max(FirstRun, Math.Min(LargestRun, RunBytes * run.Length / Math.Max(1, bytes)));
                }
            }

            /// <summary>Moves past the wanted IDs up to <paramref name="id"/>, giving <paramref name="entry"/> to those equal to it; answers how many were.</summary>
            private int Take(StreamId id, StreamEntry entry)
            {
                while (_next < _end && Wanted(_next).CompareTo(id) < 0) _next++;
                var taken = 0;
                while (_next < _end && Wanted(_next).Equals(id))
                {
                    _result[_order[_next++]] = entry;
                    taken++;
                }

                return taken;
            }

            private async Task ReadEachAsync(CancellationToken cancellationToken)
            {
                var reads = new List<(int Index, Task<StreamEntry[]> Read)>(_end - _next);
                for (var i = _next; i < _end; i++)
                {
                    var id = Wanted(i).ToString();
                    reads.Add((_order[i], _db.StreamRangeAsync(_key, id, id, 1)));
                }

                foreach (var (index, read) in reads)
                {
                    var found = await read.WithCancellation(cancellationToken).ConfigureAwait(false);
                    if (found.Length == 1) _result[index] = found[0];
                }

                _next = _end;
            }
        }
    }
}
