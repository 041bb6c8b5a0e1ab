using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// A format 2 partition (docs/storage-format.md, "How readers read"): the stream's
    /// blocks with IDs in [since − S, until + L] in pages by ID, the late blocks whose t0 lies in
    /// [since − L, until], and the whole head. The head, the late set and the first page are read
    /// in one transaction, so that a head compacted meanwhile is read once, either as head blocks
    /// or as their compaction block. A block is opened only when its time span overlaps the range
    /// and its Bloom filter may hold the query's exact values (<see cref="BlockSkip"/>); a block
    /// that does not read is reported for the partition and the read goes on with the others.
    /// </summary>
    internal sealed class BlockCursor : PartitionCursor
    {
        /// <summary>Blocks per page at first: about 400 KB of full blocks, a command of a few milliseconds.</summary>
        private const int FirstPageBlocks = 8;

        /// <summary>The bytes a page aims at; smaller blocks (a head's, format 1 entries) make pages of more blocks.</summary>
        private const long PageBytes = 400_000;

        private const int MaxPageBlocks = 1024;

        private static readonly long LeadMs = (long)BlockPositions.Lead.TotalMilliseconds;
        private static readonly long LagMs = (long)BlockPositions.Lag.TotalMilliseconds;

        private readonly IDatabase _db;
        private readonly StreamRange _range;
        private readonly bool _descending;
        private readonly BlockSkip _skip;
        private readonly Action<PartitionError>? _partitionError;
        private readonly BlockQueue _queue;
        private readonly HashSet<StreamId> _late = new HashSet<StreamId>();
        private readonly long _firstTicks;
        private readonly long _lastTicks;
        private RedisValue _low;
        private RedisValue _high;
        private int _pageBlocks = FirstPageBlocks;
        private Task? _start;
        private Task<StreamEntry[]>? _next;
        private bool _streamDone;

        public BlockCursor(IDatabase db, Partition partition, StreamRange range, bool descending, BlockSkip skip, BlockDecoder decoder, Action<PartitionError>? partitionError)
            : base(partition)
        {
            _db = db;
            _range = range;
            _descending = descending;
            _skip = skip;
            _partitionError = partitionError;
            _queue = new BlockQueue(partition, range, descending, decoder, Report) { Lines = skip.Lines };
            _firstTicks = range.Low is { } low ? BlockPositions.TicksOf(low) : long.MinValue;
            _lastTicks = range.High is { } high ? BlockPositions.TicksOf(high) : long.MaxValue;
            _low = range.Low is { } from ? new StreamId(Math.Max(0, from.Milliseconds - LeadMs), 0).ToString() : "-";
            _high = range.High is { } to ? (to.Milliseconds + LagMs).ToString(System.Globalization.CultureInfo.InvariantCulture) : "+";
        }

        /// <summary>A writer (<c>w</c>) whose blocks this read leaves out: an import's own, so that what it stored is never taken for an entry that was there before.</summary>
        public string? SkipWriter { get; init; }

        /// <summary>Blocks are given out as payload lines (<see cref="TakeStored"/>), not decoded into entries.</summary>
        public bool ReadsLines
        {
            get => _queue.ReadsLines;
            init => _queue.ReadsLines = value;
        }

        /// <summary>With <see cref="ReadsLines"/>: decoders for the next block, decoded ahead on the thread pool (<see cref="BlockQueue.AheadDecoders"/>).</summary>
        public BlockDecoderPool? AheadDecoders
        {
            get => _queue.AheadDecoders;
            init => _queue.AheadDecoders = value;
        }

        public override void Start() => _start = ReadStartAsync();

        public override async Task<bool> EnsureCurrentAsync(CancellationToken cancellationToken)
        {
            if (_start is { } start)
            {
                _start = null;
                await start.WithCancellation(cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                if (_queue.TryNext(out var position))
                {
                    CurrentPosition = position;
                    return true;
                }

                if (_streamDone) return false;
                _next ??= FetchPage();
                var page = await _next.WithCancellation(cancellationToken).ConfigureAwait(false);
                _next = null;
                Read(page);

                // A reader that needed a second page reads on: the next one is asked for while this one is given out.
                if (!_streamDone) _next = FetchPage();
            }
        }

        public override bool TryMoveNext()
        {
            if (_start is not null || !_queue.TryNext(out var position)) return false;
            CurrentPosition = position;
            return true;
        }

        public override MonarchLogEntry Take() => _queue.Take();

        public override StoredEntry TakeStored() => _queue.TakeStored();

        private async Task ReadStartAsync()
        {
            StartReads reads;
            try
            {
                var transaction = _db.CreateTransaction();
                reads = new StartReads(this, transaction);
                await transaction.ExecuteAsync().ConfigureAwait(false);
                await reads.AllAsync().ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("EXECABORT", StringComparison.Ordinal))
            {
                // The server refused a command of the transaction as it queued it (NOPERM): the
                // same reads outside one say which, as a partition error.
                reads = new StartReads(this, _db);
                await reads.AllAsync().ConfigureAwait(false);
            }

            foreach (var block in reads.Head.Result) Admit(Partition.HeadKey, block);
            foreach (var id in reads.Late.Result)
            {
                if (StreamId.TryParse(id, out var parsed)) _late.Add(parsed);
            }

            foreach (var block in await BlocksById.ReadAsync(_db, Partition.StreamKey, _late.ToList(), CancellationToken.None).ConfigureAwait(false))
            {
                if (block is { } found) Admit(Partition.StreamKey, found);
            }

            if (reads.Top is { Result: { Length: > 0 } last }) _high = last[0].Id;
            Read(reads.First.Result);
        }

        /// <summary>
        /// The reads a range starts with: the whole head, the late set's members in the range, the
        /// first page of the stream and, oldest first, the stream's last block of the range as it
        /// stands now (a compaction block added later holds head blocks this read already has).
        /// </summary>
        private sealed class StartReads
        {
            public StartReads(BlockCursor cursor, IDatabaseAsync target)
            {
                var partition = cursor.Partition;
                var range = cursor._range;
                var order = cursor._descending ? Order.Descending : Order.Ascending;
                Head = target.StreamRangeAsync(partition.HeadKey, "-", "+");
                Late = target.SortedSetRangeByScoreAsync(
                    partition.LateKey,
                    range.Low is { } low ? low.Milliseconds - LagMs : double.NegativeInfinity,
                    range.High is { } high ? high.Milliseconds : double.PositiveInfinity);
                First = target.StreamRangeAsync(partition.StreamKey, cursor._low, cursor._high, cursor._pageBlocks, order);
                Top = cursor._descending ? null : target.StreamRangeAsync(partition.StreamKey, cursor._low, cursor._high, 1, Order.Descending);
            }

            public Task<StreamEntry[]> Head { get; }

            public Task<RedisValue[]> Late { get; }

            public Task<StreamEntry[]> First { get; }

            public Task<StreamEntry[]>? Top { get; }

            public Task AllAsync() => Task.WhenAll(Head, Late, First, Top ?? Task.FromResult(Array.Empty<StreamEntry>()));
        }

        private Task<StreamEntry[]> FetchPage() =>
            _db.StreamRangeAsync(Partition.StreamKey, _low, _high, _pageBlocks, _descending ? Order.Descending : Order.Ascending);

        /// <summary>Takes a page of the stream: its blocks, the watermark, the next page's range and size.</summary>
        private void Read(StreamEntry[] page)
        {
            long bytes = 0;
            foreach (var block in page)
            {
                foreach (var field in block.Values) bytes += field.Value.Length();
                if (StreamId.TryParse(block.Id, out var id) && _late.Contains(id)) continue;
                Admit(Partition.StreamKey, block);
            }

            if (page.Length < _pageBlocks)
            {
                _streamDone = true;
                _queue.ReleaseAll();
                return;
            }

            var lastId = page[page.Length - 1].Id;
            StreamId.TryParse(lastId, out var last);
            _queue.ReadThrough(last.Milliseconds);
            if (_descending) _high = "(" + lastId;
            else _low = "(" + lastId;
            _pageBlocks = (int)Math.Max(FirstPageBlocks, Math.Min(MaxPageBlocks, PageBytes * page.Length / Math.Max(1, bytes)));
        }

        /// <summary>Queues a block that may hold entries of the query; skips one that cannot; reports one that does not read.</summary>
        private void Admit(string key, StreamEntry entry)
        {
            StoredBlock block;
            try
            {
                block = StoredBlock.Read(Partition, entry);
            }
            catch (MonarchLogsException ex) when (ex.ErrorId == BlockErrors.InvalidBlock || ex.ErrorId == BlockErrors.UnsupportedCodec)
            {
                StreamId.TryParse(entry.Id, out var id);
                Report(key, id, ex);
                return;
            }

            var header = block.Header;
            if (header.LastTicks < _firstTicks || header.FirstTicks > _lastTicks || !_skip.MayHold(header)) return;
            if (SkipWriter is { } skipped && header.WriterId == skipped) return;
            _queue.Add(key, block);
        }

        private void Report(string key, StreamId id, MonarchLogsException error) =>
            _partitionError?.Invoke(new PartitionError(Partition.StreamKey, Partition,
                new MonarchLogsException(error.ErrorId, error.Kind, $"{error.Message} (the block {id} of {key})", error)));
    }
}
