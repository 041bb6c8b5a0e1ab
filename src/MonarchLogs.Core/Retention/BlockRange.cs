using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// Reads the blocks of a format 2 partition for retention, each command short: a range is read
    /// a page at a time, the page's COUNT sized from the bytes of the page before (a few full
    /// blocks, or up to a thousand small ones), and single blocks by their IDs (<see cref="BlocksById"/>).
    /// </summary>
    internal static class BlockRange
    {
        private const int FirstPage = 16;
        private const int SmallestPage = 8;
        private const int LargestPage = 1000;
        private const long PageBytes = 1 << 20;
        
        /// <summary>The stream entries from <paramref name="low"/> to <paramref name="high"/> (XRANGE bounds; "(" excludes), oldest first.</summary>
        public static async IAsyncEnumerable<StreamEntry> ReadAsync(IDatabase db, RedisKey key, RedisValue low, RedisValue high, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var count = FirstPage;
            while (true)
            {
                var page = await db.StreamRangeAsync(key, low, high, count).WithCancellation(cancellationToken).ConfigureAwait(false);
                long bytes = 0;
                foreach (var entry in page)
                {
                    bytes += BlocksById.SizeOf(entry);
                    yield return entry;
                }

                if (page.Length < count) yield break;
                low = "(" + page[page.Length - 1].Id;
                var perEntry = Math.Max(1, bytes / page.Length);
                count = (int)Math.Max(SmallestPage, Math.Min(LargestPage, PageBytes / perEntry));
            }
        }

        /// <summary>The blocks with these IDs, in the order given; null for one no longer there.</summary>
        public static Task<StreamEntry?[]> ReadEachAsync(IDatabase db, RedisKey key, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken) =>
            BlocksById.ReadAsync(db, key, ids, cancellationToken);

        /// <summary>Reads a stream entry as a block; null when it is neither a block nor an entry (retention keeps such a block: it cannot count it).</summary>
        public static StoredBlock? TryRead(Partition partition, StreamEntry entry)
        {
            try
            {
                return StoredBlock.Read(partition, entry);
            }
            catch (MonarchLogsException)
            {
                return null;
            }
        }

        /// <summary>The lowest stream ID of the Unix millisecond <paramref name="milliseconds"/> (at least 0-0), as an XRANGE bound.</summary>
        public static string At(long milliseconds) => new StreamId(Math.Max(0, milliseconds), 0).ToString();
    }
}
