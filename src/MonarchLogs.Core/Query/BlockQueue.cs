using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// The blocks of one partition read so far, given out as entries in position order
    /// (docs/storage-format.md, "How readers read"). A block stays closed until its time
    /// span reaches the next entry to give out, so that only the blocks whose entries interleave
    /// are decoded at once; an entry is given out once no block still to be read can hold one that
    /// comes before it: newest first, no stream block read after the block with ID b holds an
    /// entry after b + S; oldest first, none before b − L (the watermark).
    /// </summary>
    internal sealed class BlockQueue
    {
        private readonly Partition _partition;
        private readonly StreamRange _range;
        private readonly bool _descending;
        private readonly BlockDecoder _decoder;
        private readonly Action<string, StreamId, MonarchLogsException> _invalid;
        private readonly List<Pending> _pending = new List<Pending>();
        private readonly HashSet<(string Writer, long Sequence)> _decoded = new HashSet<(string, long)>();
        private readonly IComparer<Positioned> _order;
        private List<Positioned> _ready = new List<Positioned>();
        private int _index;
        private int _next = -1;
        private long _watermark;
        private bool _released;

        // Pending blocks being decoded ahead: one at most.
        private int _ahead;

        /// <summary>A queue of the entries in <paramref name="range"/>; <paramref name="invalid"/> is told of a block that does not decode (its key, its ID, the error).</summary>
        public BlockQueue(Partition partition, StreamRange range, bool descending, BlockDecoder decoder, Action<string, StreamId, MonarchLogsException> invalid)
        {
            _partition = partition;
            _range = range;
            _descending = descending;
            _decoder = decoder;
            _invalid = invalid;
            _order = descending ? Comparer<Positioned>.Create((a, b) => b.Position.CompareTo(a.Position)) : Comparer<Positioned>.Create((a, b) => a.Position.CompareTo(b.Position));
            _watermark = descending ? long.MaxValue : long.MinValue;
        }

        /// <summary>A block that may hold entries of the range, from <paramref name="key"/>; it is decoded when its entries are due.</summary>
        public void Add(string key, StoredBlock block)
        {
            _pending.Add(new Pending(key, block));
            _next = -1;
        }

        /// <summary>Blocks are read as payload lines (<see cref="TakeStored"/>), not decoded into entries; format 1 entries stay entries.</summary>
        public bool ReadsLines { get; set; }

        /// <summary>Which lines of a block can hold a match (<see cref="BlockSkip.Lines"/>): only those are made entries; null for all.</summary>
        public Func<PayloadLines, int, bool>? Lines { get; set; }

        /// <summary>
        /// When blocks are read as payload lines: decoders for the block due next after the one
        /// being given out, which is decoded ahead on the thread pool (<see cref="LinesAhead"/>), one
        /// block ahead at most; null: every block is decoded when it is due, on the caller's thread.
        /// </summary>
        public BlockDecoderPool? AheadDecoders { get; set; }

        /// <summary>The stream has been read down (newest first) or up (oldest first) to the block with ID milliseconds <paramref name="blockMs"/>.</summary>
        public void ReadThrough(long blockMs)
        {
            var leadMs = (long)BlockPositions.Lead.TotalMilliseconds;
            var lagMs = (long)BlockPositions.Lag.TotalMilliseconds;
            _watermark = _descending
                ? (blockMs + leadMs + 1) * TimeSpan.TicksPerMillisecond
                : (blockMs - lagMs) * TimeSpan.TicksPerMillisecond;
        }

        /// <summary>Every block of the range has been added: all entries may be given out.</summary>
        public void ReleaseAll() => _released = true;

        /// <summary>Brings the queue to its next entry; false when it has none, or (before <see cref="ReleaseAll"/>) needs more of the stream first.</summary>
        [MethodImpl(HotPath.Options)]
        public bool TryNext(out StreamId position)
        {
            position = default;
            while (true)
            {
                var next = NextPending();
                if (_index < _ready.Count)
                {
                    var candidate = _ready[_index];
                    if (next >= 0 && !Precedes(candidate.Ticks, Extreme(_pending[next].Block.Header)))
                    {
                        Decode(next);
                        continue;
                    }

                    if (!IsReleased(candidate.Ticks)) return false;
                    position = candidate.Position;
                    return true;
                }

                if (next < 0 || !IsReleased(Extreme(_pending[next].Block.Header))) return false;
                Decode(next);
            }
        }

        /// <summary>The current entry; the queue moves past it.</summary>
        public MonarchLogEntry Take() => _ready[_index++].Stored.Entry ?? throw new InvalidOperationException("The queue reads payload lines: take them with TakeStored.");

        /// <summary>The current entry as it was read, an entry or a payload line; the queue moves past it.</summary>
        public StoredEntry TakeStored() => _ready[_index++].Stored;

        /// <summary>Newest first a block's latest time, oldest first its earliest: the first of its entries to come.</summary>
        /// Event times before 1970 all stand at position 0, as they do in entry positions.
        private long Extreme(BlockHeader header) => Math.Max(0, _descending ? header.LastTicks : header.FirstTicks);

        /// <summary>Whether an entry at <paramref name="ticks"/> comes strictly before any entry of a block whose first entry to come is at <paramref name="extreme"/>.</summary>
        private bool Precedes(long ticks, long extreme) => _descending ? ticks > extreme : ticks < extreme;

        private bool IsReleased(long ticks) => _released || (_descending ? ticks >= _watermark : ticks < _watermark);

        /// <summary>The pending block whose entries come first; -1 when none is pending.</summary>
        private int NextPending()
        {
            if (_next >= 0 || _pending.Count == 0) return _next;
            var best = -1;
            for (var i = 0; i < _pending.Count; i++)
            {
                if (best < 0 || Precedes(Extreme(_pending[i].Block.Header), Extreme(_pending[best].Block.Header))) best = i;
            }

            _next = best;
            return best;
        }

        [MethodImpl(HotPath.Options)]
        private void Decode(int pendingIndex)
        {
            var (key, block, ahead) = (_pending[pendingIndex].Key, _pending[pendingIndex].Block, _pending[pendingIndex].Ahead);
            _pending.RemoveAt(pendingIndex);
            _next = -1;
            if (ahead is not null) _ahead--;
            StartAhead();

            // A retry that sent a block twice: the copy read second is dropped.
            var name = (block.Header.WriterId, block.Header.Sequence);
            if (block.HasWriter && _decoded.Contains(name)) return;
            List<MonarchLogEntry>? entries = null;
            PayloadLines? lines = null;
            StreamId[]? positions = null;
            try
            {
                if (ahead is not null) ahead.Take(out lines, out positions);
                else if (!ReadsLines || !block.TryDecodeLines(_decoder, out lines, out positions))
                {
                    entries = (Lines is { } mayMatch ? block.DecodeWhere(_partition, _decoder, mayMatch) : null) ?? block.Decode(_partition, _decoder);
                }
            }
            catch (MonarchLogsException ex) when (ex.ErrorId == BlockErrors.InvalidBlock || ex.ErrorId == BlockErrors.UnsupportedCodec)
            {
                _invalid(key, block.Id, ex);
                return;
            }

            if (block.HasWriter) _decoded.Add(name);
            if (_index > 0)
            {
                _ready.RemoveRange(0, _index);
                _index = 0;
            }

            var sorted = true;
            var count = entries?.Count ?? positions!.Length;
            var given = 0;
            for (var i = 0; i < count; i++)
            {
                var position = entries is null ? positions![i] : LogEntryId.Parse(entries[i].Id!).Position;
                if (!_range.Contains(position)) continue;
                var item = new Positioned(entries is null ? new StoredEntry(_partition, position, lines!, i) : new StoredEntry(_partition, position, entries[i]));
                if (_ready.Count > 0 && _order.Compare(_ready[_ready.Count - 1], item) > 0) sorted = false;
                _ready.Add(item);
                given++;
            }

            // Payload lines keep their block's payload until the last one handed on is written (PayloadLines.Hold).
            lines?.Hold(given);

            // A block's entries mostly come in order after those ready already: no sort then.
            if (!sorted) _ready.Sort(_order);
        }

        /// <summary>Starts decoding the block due next (a block, not a format 1 entry) ahead, when blocks are read as lines with <see cref="AheadDecoders"/>.</summary>
        private void StartAhead()
        {
            if (!ReadsLines || AheadDecoders is not { } decoders || _ahead > 0) return;
            var next = NextPending();
            if (next < 0 || _pending[next].Block.Encoded is null) return;
            var pending = _pending[next];
            _pending[next] = new Pending(pending.Key, pending.Block, LinesAhead.Start(pending.Block, decoders));
            _ahead++;
        }

        private readonly struct Pending
        {
            public Pending(string key, StoredBlock block, LinesAhead? ahead = null)
            {
                Key = key;
                Block = block;
                Ahead = ahead;
            }

            public string Key { get; }

            public StoredBlock Block { get; }

            /// <summary>Its lines being decoded ahead; null when they are not.</summary>
            public LinesAhead? Ahead { get; }
        }

        private readonly struct Positioned
        {
            public Positioned(StoredEntry stored)
            {
                Stored = stored;
                Ticks = BlockPositions.TicksOf(stored.Position);
            }

            public StoredEntry Stored { get; }

            public StreamId Position => Stored.Position;

            public long Ticks { get; }
        }
    }
}
