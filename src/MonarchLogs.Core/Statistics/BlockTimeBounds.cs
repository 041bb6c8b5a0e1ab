using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>
    /// The event times of a version 2 partition's oldest and newest entries as its block headers
    /// give them, in a few short commands (never a scan): the first block's <c>t0</c> and the last
    /// block's <c>t1</c> of the stream and of the head, the late set's lowest score (a <c>t0</c>)
    /// and the <c>t1</c> of its highest. A block of the stream that is on time starts at most L
    /// (10 minutes) before its ID and ends at most S (10 seconds) after it, so these are the
    /// partition's times to within those bounds; a block that does not read is passed over.
    /// </summary>
    internal sealed class BlockTimeBounds
    {
        private readonly IDatabase _db;
        private readonly Partition _partition;
        private readonly Task<StreamEntry[]> _streamFirst;
        private readonly Task<StreamEntry[]> _streamLast;
        private readonly Task<StreamEntry[]> _headFirst;
        private readonly Task<StreamEntry[]> _headLast;
        private readonly Task<SortedSetEntry[]> _lateFirst;
        private readonly Task<SortedSetEntry[]> _lateLast;

        /// <summary>Starts the reads, so that they share a pipeline with whatever else the caller starts.</summary>
        public BlockTimeBounds(IDatabase db, Partition partition)
        {
            _db = db;
            _partition = partition;
            _streamFirst = db.StreamRangeAsync(partition.StreamKey, "-", "+", 1);
            _streamLast = db.StreamRangeAsync(partition.StreamKey, "-", "+", 1, Order.Descending);
            _headFirst = RefusedAsEmpty(db.StreamRangeAsync(partition.HeadKey, "-", "+", 1));
            _headLast = RefusedAsEmpty(db.StreamRangeAsync(partition.HeadKey, "-", "+", 1, Order.Descending));
            _lateFirst = RefusedAsEmpty(db.SortedSetRangeByScoreWithScoresAsync(partition.LateKey, take: 1));
            _lateLast = RefusedAsEmpty(db.SortedSetRangeByScoreWithScoresAsync(partition.LateKey, order: Order.Descending, take: 1));
        }

        /// <summary>The oldest and newest event times (UTC); null when the partition holds no block.</summary>
        /// <exception cref="RedisServerException">A key the server refuses to read (after every read has ended).</exception>
        public async Task<(DateTime? Oldest, DateTime? Newest)> CompleteAsync(CancellationToken cancellationToken)
        {
            var all = new Task[] { _streamFirst, _streamLast, _headFirst, _headLast, _lateFirst, _lateLast };
            try
            {
                await Task.WhenAll(all).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Every read has ended; the first failure is thrown below.
            }

            long? first = null, last = null;
            void Take(long? ticks, bool oldest)
            {
                if (ticks is not { } value) return;
                if (oldest) first = first is { } known ? Math.Min(known, value) : value;
                else last = last is { } known ? Math.Max(known, value) : value;
            }

            Take(Header(await _streamFirst.ConfigureAwait(false))?.FirstTicks, oldest: true);
            Take(Header(await _streamLast.ConfigureAwait(false))?.LastTicks, oldest: false);
            Take(Header(await _headFirst.ConfigureAwait(false))?.FirstTicks, oldest: true);
            Take(Header(await _headLast.ConfigureAwait(false))?.LastTicks, oldest: false);
            var lateFirst = await _lateFirst.ConfigureAwait(false);
            if (lateFirst.Length > 0) Take((long)lateFirst[0].Score * TimeSpan.TicksPerMillisecond, oldest: true);
            var lateLast = await _lateLast.ConfigureAwait(false);
            if (lateLast.Length > 0 && !lateLast[0].Element.IsNullOrEmpty)
            {
                var id = (string)lateLast[0].Element!;
                Take(Header(await _db.StreamRangeAsync(_partition.StreamKey, id, id, 1).WithCancellation(cancellationToken).ConfigureAwait(false))?.LastTicks, oldest: false);
            }

            return (first is { } oldestTicks ? BlockHeader.FromUnixTicks(oldestTicks) : null, last is { } newestTicks ? BlockHeader.FromUnixTicks(newestTicks) : null);
        }

        /// <summary>A head or late set the ACL user may not read (a role made before version 2) leaves its times out, not the partition.</summary>
        private static async Task<T[]> RefusedAsEmpty<T>(Task<T[]> read)
        {
            try
            {
                return await read.ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
                return Array.Empty<T>();
            }
        }

        private BlockHeader? Header(StreamEntry[] entries)
        {
            if (entries.Length == 0) return null;
            try
            {
                return StoredBlock.Read(_partition, entries[0]).Header;
            }
            catch (MonarchLogsException)
            {
                return null;
            }
        }
    }
}
