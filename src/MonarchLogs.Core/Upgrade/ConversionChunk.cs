using System;
using System.Collections.Generic;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Upgrade
{
    /// <summary>
    /// The format 1 entries an upgrade gathers for its next block, in stream order: at most 1,024
    /// entries and 1 MiB of text, spanning at most <see cref="BlockPositions.Lag"/> of event time,
    /// so that a late block is found by its <c>t0</c> as the readers look for it.
    /// </summary>
    internal sealed class ConversionChunk
    {
        /// <summary>The text of a larger entry could grow past what a block may hold once escaped (six-fold at worst): it stays as it is.</summary>
        internal const long LargestEntryBytes = ZstdCompression.MaxContentBytes / 6;

        /// <summary>Stream entries an upgrade reads at a time while they are format 1 entries (a few hundred bytes each).</summary>
        internal const int EntryPageSize = 256;

        /// <summary>Stream entries read at a time after a page that held blocks (tens of KB each): a read stays a short command.</summary>
        internal const int BlockPageSize = 8;

        private static readonly long LagTicks = BlockPositions.Lag.Ticks;

        private long _first, _last, _bytes;

        public List<MonarchLogEntry> Entries { get; } = new List<MonarchLogEntry>(UpgradeScript.MaxSources);

        /// <summary>The stream IDs of the entries, in the same order.</summary>
        public List<RedisValue> Sources { get; } = new List<RedisValue>(UpgradeScript.MaxSources);

        public int Count => Entries.Count;

        /// <summary>Bytes of a format 1 entry as stored: its fields' names and values.</summary>
        public static long SizeOf(StreamEntry raw)
        {
            var bytes = 64L;
            foreach (var field in raw.Values) bytes += field.Name.Length() + field.Value.Length();
            return bytes;
        }

        /// <summary>Whether an entry of <paramref name="bytes"/> at <paramref name="ticks"/> must start a new block.</summary>
        public bool IsFullFor(long bytes, long ticks) =>
            Entries.Count > 0
            && (Entries.Count == UpgradeScript.MaxSources
                || _bytes + bytes > BlockPositions.MaxBlockBytes
                || Math.Max(_last, ticks) - Math.Min(_first, ticks) > LagTicks);

        public void Add(MonarchLogEntry entry, RedisValue source, long bytes, long ticks)
        {
            _first = Entries.Count == 0 ? ticks : Math.Min(_first, ticks);
            _last = Entries.Count == 0 ? ticks : Math.Max(_last, ticks);
            _bytes += bytes;
            Entries.Add(entry);
            Sources.Add(source);
        }

        public void Clear()
        {
            Entries.Clear();
            Sources.Clear();
            _bytes = 0;
        }
    }
}
