using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tail
{
    /// <summary>The live tail's reads by ID: streams after the last Id read in each.</summary>
    internal static class TailReads
    {
        /// <summary>The most entries one read takes of one stream; a stream that gives this many is read again at once.</summary>
        public const int CountPerStream = 500;

        /// <summary>
        /// One XREAD of every stream after its Id; the entries of each group and stream, in the
        /// order asked. On a cluster, where one command may name keys of one slot only, one XREAD
        /// per group (a group's streams share a slot: a partition's stream and head), sent together.
        /// </summary>
        public static async Task<StreamEntry[][][]> ReadAfterAsync(StoreReader store, IReadOnlyList<(string Key, StreamId After)[]> groups, CancellationToken cancellationToken)
        {
            var db = store.Database;
            if (groups.Count > 1 && store.IsCluster)
            {
                var reads = groups.Select(group => ReadAsync(db, group)).ToArray();
                await Task.WhenAll(reads).WithCancellation(cancellationToken).ConfigureAwait(false);
                return reads.Select(read => read.Result).ToArray();
            }

            var all = await ReadAsync(db, groups.SelectMany(group => group).ToArray()).WithCancellation(cancellationToken).ConfigureAwait(false);
            var result = new StreamEntry[groups.Count][][];
            var next = 0;
            for (var i = 0; i < groups.Count; i++)
            {
                result[i] = all.Skip(next).Take(groups[i].Length).ToArray();
                next += groups[i].Length;
            }

            return result;
        }

        private static async Task<StreamEntry[][]> ReadAsync(IDatabase db, (string Key, StreamId After)[] streams)
        {
            if (streams.Length == 1) return new[] { await db.StreamReadAsync(streams[0].Key, streams[0].After.ToString(), CountPerStream).ConfigureAwait(false) };
            var positions = streams.Select(s => new StackExchange.Redis.StreamPosition(s.Key, s.After.ToString())).ToArray();
            var replies = await db.StreamReadAsync(positions, CountPerStream).ConfigureAwait(false);
            var byKey = new Dictionary<string, StreamEntry[]>(StringComparer.Ordinal);
            foreach (var reply in replies) byKey[(string)reply.Key!] = reply.Entries;
            return streams.Select(s => byKey.TryGetValue(s.Key, out var entries) ? entries : Array.Empty<StreamEntry>()).ToArray();
        }
    }
}
