using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Upgrade
{
    /// <summary>
    /// Rebuilds one partition's stream beside it (docs/storage-format.md, "Upgrade"): reads the
    /// stream in ID order and writes a rebuild stream in which each chunk of format 1 entries is one
    /// block at its entries' time (on time, as a live writer's blocks are, so that a reader of a
    /// time range reads only the blocks of that range) and every block or entry it cannot convert
    /// is copied under its own ID; then puts the rebuild stream in the stream's place in one atomic
    /// step that first copies what was added meanwhile. Every step is one script that checks the
    /// rebuild's progress (<c>after</c>), so a stop loses and doubles nothing and two upgrades at
    /// once take turns; an entry removed from the stream meanwhile (retention) drops the rebuild,
    /// and the partition is then converted in place (<see cref="PartitionConverter"/>).
    /// One instance per partition and run; not thread-safe.
    /// </summary>
    internal sealed class PartitionRebuilder
    {
        /// <summary>The most stream entries the replacing step copies; with more, a pass takes them first.</summary>
        private const int MostCopiedAtReplace = 256;

        private const string Done = "done";

        private readonly IDatabase _db;
        private readonly Partition _partition;
        private readonly BlockEncoder _encoder;
        private readonly Action<int> _converted;
        private readonly RedisKey[] _keys;
        private readonly ConversionChunk _chunk = new ConversionChunk();
        private string _after = string.Empty;

        /// <param name="db">The database of the store.</param>
        /// <param name="format">The store's format (the rebuild's keys).</param>
        /// <param name="partition">The partition whose stream is rebuilt.</param>
        /// <param name="encoder">The encoder of the blocks, shared by the partitions of one run.</param>
        /// <param name="converted">Told the entries of each block written, on the caller's thread.</param>
        public PartitionRebuilder(IDatabase db, StorageFormat format, Partition partition, BlockEncoder encoder, Action<int> converted)
        {
            _db = db;
            _partition = partition;
            _encoder = encoder;
            _converted = converted;
            _keys = UpgradeScript.RebuildKeys(format, partition);
        }

        /// <summary>Entries this run turned into blocks.</summary>
        public long Converted { get; private set; }

        /// <summary>The blocks this run made of format 1 entries.</summary>
        public long Blocks { get; private set; }

        /// <summary>Entries copied as they are: too large for a block.</summary>
        public long Left { get; private set; }

        /// <summary>Whether the rebuild was dropped (an entry was removed meanwhile): what this run converted is gone with it.</summary>
        public bool Dropped { get; private set; }

        /// <summary>Called before each replacing step: lets a test write to the stream at that moment.</summary>
        internal Func<Task>? BeforeReplace { get; init; }

        /// <summary>
        /// Rebuilds the partition. Answers the last stream ID the rebuild took before it replaced the
        /// stream (what follows may still hold format 1 entries; empty when it took none), or null when
        /// the partition was not rebuilt: it held no format 1 entry, an entry was removed meanwhile, or
        /// the server does not tell how many entries a stream lost.
        /// </summary>
        public async Task<string?> RunAsync(CancellationToken cancellationToken)
        {
            var begun = await EvalAsync(UpgradeScript.BeginRebuild, new[] { _keys[0], _keys[1], _keys[2], _keys[3] }).WithCancellation(cancellationToken).ConfigureAwait(false);
            if (begun.IsNull) return null;
            _after = (string)begun!;
            while (true)
            {
                if (_after == Done) return null;
                try
                {
                    await PassAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (RebuildMovedException)
                {
                    _after = await ReadAfterAsync(cancellationToken).ConfigureAwait(false) ?? Done;
                    continue;
                }

                if ((long)await _db.HashGetAsync(_keys[2], "made").WithCancellation(cancellationToken).ConfigureAwait(false) == 0)
                {
                    await DropAsync(cancellationToken).ConfigureAwait(false);
                    return null;
                }

                if (BeforeReplace is not null) await BeforeReplace().ConfigureAwait(false);
                var replaced = await EvalAsync(UpgradeScript.Replace, _keys, _after, MostCopiedAtReplace).ConfigureAwait(false);
                if (replaced.IsNull)
                {
                    _after = await ReadAfterAsync(cancellationToken).ConfigureAwait(false) ?? Done;
                    continue;
                }

                switch ((string)replaced!)
                {
                    case Done:
                        return _after;
                    case "changed":
                        await DropAsync(cancellationToken).ConfigureAwait(false);
                        Dropped = true;
                        return null;
                }
            }
        }

        /// <summary>Takes the stream's entries after <see cref="_after"/> up to its top as it is now.</summary>
        private async Task PassAsync(CancellationToken cancellationToken)
        {
            var top = await _db.StreamRangeAsync(_partition.StreamKey, "-", "+", 1, Order.Descending).WithCancellation(cancellationToken).ConfigureAwait(false);
            if (top.Length == 0) return;
            RedisValue high = top[0].Id;
            RedisValue low = _after.Length == 0 ? "-" : "(" + _after;
            var count = ConversionChunk.EntryPageSize;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = await _db.StreamRangeAsync(_partition.StreamKey, low, high, count).WithCancellation(cancellationToken).ConfigureAwait(false);
                var blocks = false;
                foreach (var entry in page)
                {
                    if (!UpgradeScript.IsFormat1Entry(entry)) blocks = true;
                    await TakeAsync(entry, cancellationToken).ConfigureAwait(false);
                }

                if (page.Length < count) break;
                low = "(" + (string?)page[page.Length - 1].Id;
                count = blocks ? ConversionChunk.BlockPageSize : ConversionChunk.EntryPageSize;
            }

            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        /// <summary>A format 1 entry joins the chunk; a block, or an entry too large for one, is copied as it is after the chunk.</summary>
        private async Task TakeAsync(StreamEntry raw, CancellationToken cancellationToken)
        {
            var bytes = ConversionChunk.SizeOf(raw);
            if (!UpgradeScript.IsFormat1Entry(raw) || bytes > ConversionChunk.LargestEntryBytes)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                await StepAsync(UpgradeScript.CopyArguments(_after, raw), raw.Id!, cancellationToken).ConfigureAwait(false);
                if (UpgradeScript.IsFormat1Entry(raw)) Left++;
                return;
            }

            var entry = Version1Entry.Decode(_partition, raw);
            var ticks = BlockHeader.ToUnixTicks(entry.Timestamp);
            if (_chunk.IsFullFor(bytes, ticks)) await FlushAsync(cancellationToken).ConfigureAwait(false);
            _chunk.Add(entry, raw.Id, bytes, ticks);
        }

        /// <summary>Writes the chunk gathered so far as one block of the rebuild stream.</summary>
        private async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_chunk.Count == 0) return;
            var count = _chunk.Count;
            var last = (string)_chunk.Sources[count - 1]!;
            var block = _encoder.Encode(_chunk.Entries, string.Empty, 0);
            _chunk.Clear();
            await StepAsync(UpgradeScript.RebuildArguments(_after, last, block), last, cancellationToken).ConfigureAwait(false);
            Converted += count;
            Blocks++;
            _converted(count);
        }

        private async Task StepAsync(RedisValue[] arguments, string last, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A step sent is awaited to its answer (a short script), so that what a stopped run reports is what it wrote.
            var id = await EvalAsync(UpgradeScript.Rebuild, _keys[0], _keys[1], _keys[2], arguments).ConfigureAwait(false);
            if (id.IsNull)
            {
                _chunk.Clear();
                throw new RebuildMovedException();
            }

            _after = last;
        }

        private async Task<string?> ReadAfterAsync(CancellationToken cancellationToken)
        {
            var after = await _db.HashGetAsync(_keys[2], "after").WithCancellation(cancellationToken).ConfigureAwait(false);
            return after.IsNull ? null : (string)after!;
        }

        private Task DropAsync(CancellationToken cancellationToken) =>
            EvalAsync(UpgradeScript.DropRebuild, new[] { _keys[1], _keys[2] }).WithCancellation(cancellationToken);

        private Task<RedisResult> EvalAsync(string script, RedisKey[] keys, params RedisValue[] arguments) =>
            _db.ScriptEvaluateAsync(script, keys, arguments);

        private Task<RedisResult> EvalAsync(string script, RedisKey stream, RedisKey rebuild, RedisKey state, params RedisValue[] arguments) =>
            _db.ScriptEvaluateAsync(script, new[] { stream, rebuild, state }, arguments);

        /// <summary>The rebuild's progress moved under this run: another upgrade took a step first.</summary>
        private sealed class RebuildMovedException : Exception
        {
        }
    }
}
