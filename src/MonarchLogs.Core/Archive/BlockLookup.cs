using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// An import's duplicate check on a format 2 partition: the entries it held in a range of
    /// event times (exact to the tick), read as a query reads them (<see cref="BlockCursor"/>:
    /// stream, late set and head), without the import's own blocks (its writer's <c>w</c>), so
    /// that what this import stored is never taken for an entry that was there before.
    /// </summary>
    internal sealed class BlockLookup
    {
        private readonly BlockCursor _cursor;
        private MonarchLogsException? _invalid;

        /// <summary>Starts the read of <paramref name="partition"/>'s entries with event times in [<paramref name="firstTicks"/>, <paramref name="lastTicks"/>].</summary>
        public BlockLookup(IDatabase db, Partition partition, long firstTicks, long lastTicks, string importWriter, BlockDecoder decoder)
        {
            var query = new LogQuery
            {
                Since = new DateTime(firstTicks, DateTimeKind.Utc),
                Until = new DateTime(Math.Min(DateTime.MaxValue.Ticks, lastTicks + 1), DateTimeKind.Utc),
                OldestFirst = true,
            };
            var range = StreamRange.For(partition, new LogFilter(query), exactToTick: true);
            _cursor = new BlockCursor(db, partition, range, descending: false, BlockSkip.For(query), decoder, error => _invalid ??= error.Error)
            {
                SkipWriter = importWriter,
            };
            _cursor.Start();
        }

        /// <summary>
        /// Counts the stored entries whose fingerprint is one of <paramref name="wanted"/>.
        /// </summary>
        /// <exception cref="MonarchLogsException">A block of the range does not read: the duplicates cannot be told.</exception>
        public async Task<Dictionary<EntryFingerprint, int>> CountAsync(HashSet<EntryFingerprint> wanted, EntryFingerprint.Maker fingerprints, CancellationToken cancellationToken)
        {
            var stored = new Dictionary<EntryFingerprint, int>();
            while (await _cursor.EnsureCurrentAsync(cancellationToken).ConfigureAwait(false))
            {
                var fingerprint = fingerprints.Of(_cursor.Take());
                if (!wanted.Contains(fingerprint)) continue;
                stored.TryGetValue(fingerprint, out var count);
                stored[fingerprint] = count + 1;
            }

            if (_invalid is { } invalid) throw invalid;
            return stored;
        }
    }
}
