using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Upgrade
{
    /// <summary>
    /// One pass over one partition's stream: reads it in ID order and turns each chunk of its
    /// format 1 entries into one block with <see cref="UpgradeScript.Convert"/>, or only counts
    /// them (a preview). A chunk holds at most 1,024 entries and 1 MiB of text, and spans at most
    /// <see cref="BlockPositions.Lag"/> of event time, so a late block is found by its <c>t0</c>
    /// as the readers look for it. One instance per partition and pass; not thread-safe.
    /// </summary>
    internal sealed class PartitionConverter
    {
        private readonly IDatabase _db;
        private readonly Partition _partition;
        private readonly BlockEncoder _encoder;
        private readonly bool _dryRun;
        private readonly Action<int> _converted;
        private readonly ConversionChunk _chunk = new ConversionChunk();
        private readonly List<int> _runs = new List<int>();

        // The entries removed from the stream as this pass expects: read before its first read, plus
        // those its own blocks replaced. Another removal (retention, a second upgrade) makes the
        // script check every source itself.
        private long _expectedDeleted = -1;

        // Whether the next source follows the last one with no other stream entry between them: it then extends the last run.
        private bool _adjacent;

        /// <param name="db">The database of the store.</param>
        /// <param name="partition">The partition whose stream is converted.</param>
        /// <param name="encoder">The encoder of the blocks, shared by the partitions of one run.</param>
        /// <param name="dryRun">Only count the entries a block would take; write nothing.</param>
        /// <param name="converted">Told the entries of each block written (or counted, in a dry run), on the caller's thread.</param>
        public PartitionConverter(IDatabase db, Partition partition, BlockEncoder encoder, bool dryRun, Action<int> converted)
        {
            _db = db;
            _partition = partition;
            _encoder = encoder;
            _dryRun = dryRun;
            _converted = converted;
        }

        /// <summary>Entries turned into blocks (a dry run: entries that would be).</summary>
        public long Converted { get; private set; }

        /// <summary>Entries left as they are: too large for a block.</summary>
        public long Left { get; private set; }

        /// <summary>The blocks this pass wrote, in ID order: the next pass reads around them.</summary>
        public List<RedisValue> Written { get; } = new List<RedisValue>();

        /// <summary>
        /// Converts the entries after <paramref name="after"/> (null: from the start) up to the stream's
        /// top as it is now, skipping the blocks of <paramref name="ownBlocks"/> (those an earlier pass
        /// of this run wrote, after <paramref name="after"/>, ascending). Answers the top it went up to,
        /// where the next pass starts; <paramref name="after"/> when the stream holds nothing after it.
        /// </summary>
        public async Task<RedisValue?> PassAsync(RedisValue? after, IReadOnlyList<RedisValue> ownBlocks, CancellationToken cancellationToken)
        {
            var deleted = _dryRun ? RedisResult.Create(-1) : await _db.ScriptEvaluateAsync(UpgradeScript.Deleted, new RedisKey[] { _partition.StreamKey }).WithCancellation(cancellationToken).ConfigureAwait(false);
            _expectedDeleted = (long)deleted;
            var top = await _db.StreamRangeAsync(_partition.StreamKey, "-", "+", 1, Order.Descending).WithCancellation(cancellationToken).ConfigureAwait(false);
            if (top.Length == 0) return after;
            var end = top[0].Id;
            if (after is { } start && StreamId.TryParse((string?)start, out var from) && StreamId.TryParse((string?)end, out var last) && last.CompareTo(from) <= 0) return after;

            RedisValue low = after is { } exclusive ? "(" + (string?)exclusive : "-";
            foreach (var block in ownBlocks)
            {
                var before = "(" + (string?)block;
                await ReadRangeAsync(low, before, cancellationToken).ConfigureAwait(false);
                low = before;
            }

            await ReadRangeAsync(low, end, cancellationToken).ConfigureAwait(false);
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            return end;
        }

        private async Task ReadRangeAsync(RedisValue low, RedisValue high, CancellationToken cancellationToken)
        {
            var count = ConversionChunk.EntryPageSize;
            _adjacent = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = await _db.StreamRangeAsync(_partition.StreamKey, low, high, count).WithCancellation(cancellationToken).ConfigureAwait(false);
                var blocks = false;
                foreach (var entry in page)
                {
                    if (UpgradeScript.IsFormat1Entry(entry)) await AddAsync(entry, cancellationToken).ConfigureAwait(false);
                    else
                    {
                        blocks = true;
                        _adjacent = false;
                    }
                }

                if (page.Length < count) return;
                low = "(" + (string?)page[page.Length - 1].Id;
                count = blocks ? ConversionChunk.BlockPageSize : ConversionChunk.EntryPageSize;
            }
        }

        private async Task AddAsync(StreamEntry raw, CancellationToken cancellationToken)
        {
            var bytes = ConversionChunk.SizeOf(raw);
            if (bytes > ConversionChunk.LargestEntryBytes)
            {
                Left++;
                _adjacent = false;
                return;
            }

            var entry = Version1Entry.Decode(_partition, raw);
            var ticks = BlockHeader.ToUnixTicks(entry.Timestamp);
            if (_chunk.IsFullFor(bytes, ticks)) await FlushAsync(cancellationToken).ConfigureAwait(false);
            _chunk.Add(entry, raw.Id, bytes, ticks);
            if (_adjacent && _runs.Count > 0) _runs[_runs.Count - 1]++;
            else _runs.Add(1);
            _adjacent = true;
        }

        /// <summary>Writes the chunk gathered so far as one block; nothing when the script finds a source gone.</summary>
        private async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_chunk.Count == 0) return;
            cancellationToken.ThrowIfCancellationRequested();
            var count = _chunk.Count;
            var written = _dryRun;
            if (!_dryRun)
            {
                // The block is written whole or not at all, so a stop while it runs loses nothing; its answer
                // is awaited, so that what a stopped run reports is what it wrote.
                var block = _encoder.Encode(_chunk.Entries, string.Empty, 0);
                var id = await _db.ScriptEvaluateAsync(UpgradeScript.Convert, UpgradeScript.ConvertKeys(_partition), UpgradeScript.ConvertArguments(block, _expectedDeleted, _chunk.Sources, _runs))
                    .ConfigureAwait(false);
                written = !id.IsNull;
                if (written)
                {
                    Written.Add((RedisValue)id);
                    if (_expectedDeleted >= 0) _expectedDeleted += count;
                }
            }

            _chunk.Clear();
            _runs.Clear();
            if (!written) return;
            Converted += count;
            _converted(count);
        }
    }
}
