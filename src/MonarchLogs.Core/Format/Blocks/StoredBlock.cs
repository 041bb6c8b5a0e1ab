using System;
using System.Collections.Generic;
using MonarchLogs.Core;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// One stream entry of a format 2 partition, its head or its late blocks: a block, or an entry
    /// of format 1 (a stream entry with <c>ts</c> and no <c>data</c>: left by a store being
    /// upgraded, or added by hand), which reads as a block of that one entry.
    /// </summary>
    internal sealed class StoredBlock
    {
        /// <summary>
        /// The field that marks a block of entries that were in the store before it: <c>src head</c>
        /// for a block made by compacting a head, <c>src upgrade</c> for one the upgrade made of
        /// format 1 entries. A live tail skips such a block, whose entries it showed already or
        /// that were written before it started.
        /// </summary>
        public const string SourceField = "src";

        /// <summary>The value of <see cref="SourceField"/> on a compaction block.</summary>
        public const string FromHead = "head";

        /// <summary>The value of <see cref="SourceField"/> on a block the upgrade made of format 1 entries.</summary>
        public const string FromUpgrade = "upgrade";

        private readonly EncodedBlock? _encoded;
        private readonly MonarchLogEntry? _single;

        private StoredBlock(StreamId id, BlockHeader header, string? source, EncodedBlock? encoded, MonarchLogEntry? single)
        {
            Id = id;
            Header = header;
            IsCompaction = source is FromHead or FromUpgrade;
            IsFromHead = source == FromHead;
            _encoded = encoded;
            _single = single;
        }

        /// <summary>The stream ID of the block.</summary>
        public StreamId Id { get; }

        /// <summary>The header: count, event time span, writer and sequence, counts per minute, Bloom filter.</summary>
        public BlockHeader Header { get; }

        /// <summary>Made of entries that were in the store before: by compacting the partition's head (<c>src head</c>) or by the upgrade (<c>src upgrade</c>).</summary>
        public bool IsCompaction { get; }

        /// <summary>Made by compacting the partition's head (<c>src head</c>): its entries were in head blocks, which a live tail may not all have read.</summary>
        public bool IsFromHead { get; }

        /// <summary>Whether a writer named it, so that a second copy (a retry of a lost reply) can be told apart.</summary>
        public bool HasWriter => Header.WriterId.Length > 0;

        /// <summary>The block as stored, header and payload; null for a version 1 entry.</summary>
        public EncodedBlock? Encoded => _encoded;

        /// <summary>The bytes of its JSON lines, from the zstd frame's header without decompressing it (a frame that does not say: its own length).</summary>
        public long ContentBytes => _encoded is null ? 0
            : _encoded.Header.Codec == BlockCodec.Zstd ? ZstdCompression.ContentSize(_encoded.Payload.Span) ?? _encoded.Payload.Length
            : _encoded.Payload.Length;

        /// <summary>Whether a stream entry is a block (it has <c>data</c> and no <c>ts</c>), not an entry of format 1.</summary>
        public static bool IsBlock(StreamEntry entry)
        {
            bool hasData = false, hasTimestamp = false;
            foreach (var field in entry.Values ?? Array.Empty<NameValueEntry>())
            {
                var name = (string?)field.Name;
                if (name == BlockFields.Data) hasData = true;
                else if (name == StorageFormat.TimestampField) hasTimestamp = true;
            }

            return hasData && !hasTimestamp;
        }

        /// <summary>Reads a stream entry of a format 2 partition.</summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>, <c>UnsupportedBlockCodec</c>: the entry is neither a block nor an entry.</exception>
        public static StoredBlock Read(Partition partition, StreamEntry entry)
        {
            if (!StreamId.TryParse(entry.Id, out var id)) throw BlockErrors.Invalid($"its stream ID '{entry.Id}' is not <ms>-<seq>");
            var values = entry.Values ?? Array.Empty<NameValueEntry>();
            bool hasData = false, hasTimestamp = false;
            string? source = null;
            foreach (var field in values)
            {
                var name = (string?)field.Name;
                if (name == BlockFields.Data) hasData = true;
                else if (name == StorageFormat.TimestampField) hasTimestamp = true;
                else if (name == SourceField) source = (string?)field.Value;
            }

            if (!hasData && hasTimestamp)
            {
                var single = Version1Entry.Decode(partition, entry, id);
                var ticks = BlockHeader.ToUnixTicks(single.Timestamp);
                var header = new BlockHeader { Count = 1, FirstTicks = ticks, LastTicks = ticks, Codec = BlockCodec.JsonLines };
                return new StoredBlock(id, header, null, null, single);
            }

            var encoded = BlockFields.Parse(values);
            return new StoredBlock(id, encoded.Header, source, encoded, null);
        }

        /// <summary>
        /// The block's entries in stored order, each with its Id: its position
        /// (<see cref="BlockPositions.Of"/>, the ordinal counting earlier entries of the block
        /// with the same tick) in the partition.
        /// </summary>
        public List<MonarchLogEntry> Decode(Partition partition, BlockDecoder decoder)
        {
            var decoded = _single is { } one ? new List<MonarchLogEntry>(1) { one } : decoder.Decode(_encoded!, partition);
            var ticks = new long[decoded.Count];
            for (var i = 0; i < ticks.Length; i++) ticks[i] = BlockHeader.ToUnixTicks(decoded[i].Timestamp);
            var positions = PositionsOf(ticks);
            var result = new List<MonarchLogEntry>(decoded.Count);
            for (var i = 0; i < positions.Length; i++) result.Add(WithId(decoded[i], new LogEntryId(positions[i], partition.Service, partition.Level).ToString()));
            return result;
        }

        /// <summary>
        /// The entries of the block's lines that <paramref name="mayMatch"/> lets through (given the
        /// lines and a line's index), as <see cref="Decode"/> gives them, Ids included; the other
        /// lines are checked as <see cref="Decode"/> checks them but make no entry. Null for an
        /// entry of format 1 (read it with <see cref="Decode"/>).
        /// </summary>
        public List<MonarchLogEntry>? DecodeWhere(Partition partition, BlockDecoder decoder, Func<PayloadLines, int, bool> mayMatch)
        {
            if (!TryDecodeLines(decoder, out var lines, out var positions)) return null;
            try
            {
                var result = new List<MonarchLogEntry>();
                for (var i = 0; i < positions.Length; i++)
                {
                    if (!mayMatch(lines, i)) continue;
                    var entry = JsonLinesPayload.ReadLine(lines.LineOf(i), lines.NumberOf(i), partition);
                    result.Add(WithId(entry, new LogEntryId(positions[i], partition.Service, partition.Level).ToString()));
                }

                return result;
            }
            finally
            {
                lines.Hold(0);
            }
        }

        /// <summary>
        /// The block's payload lines, with their positions as <see cref="Decode"/> gives them;
        /// false for an entry of format 1, which has no payload line (read it with <see cref="Decode"/>).
        /// </summary>
        public bool TryDecodeLines(BlockDecoder decoder, out PayloadLines lines, out StreamId[] positions)
        {
            if (_encoded is null)
            {
                lines = null!;
                positions = Array.Empty<StreamId>();
                return false;
            }

            lines = decoder.DecodeLines(_encoded);
            var ticks = new long[lines.Count];
            for (var i = 0; i < ticks.Length; i++) ticks[i] = lines.TicksOf(i);
            positions = PositionsOf(ticks);
            return true;
        }

        /// <summary>Each entry's position: its tick and the number of earlier entries of the block with the same tick.</summary>
        private static StreamId[] PositionsOf(long[] ticks)
        {
            var positions = new StreamId[ticks.Length];
            Dictionary<long, int>? seen = null;
            var ordinal = 0;
            for (var i = 0; i < ticks.Length; i++)
            {
                // Entries in time order (as writers store them) count their ties as they go; others look them up.
                if (i > 0 && ticks[i] < ticks[i - 1] && seen is null)
                {
                    seen = new Dictionary<long, int>(ticks.Length);
                    for (var j = 0; j < i; j++) seen[ticks[j]] = Math.Min((seen.TryGetValue(ticks[j], out var n) ? n : 0) + 1, ushort.MaxValue);
                }

                if (seen is not null)
                {
                    seen.TryGetValue(ticks[i], out ordinal);
                    seen[ticks[i]] = Math.Min(ordinal + 1, ushort.MaxValue);
                }
                else
                {
                    ordinal = i > 0 && ticks[i] == ticks[i - 1] ? Math.Min(ordinal + 1, ushort.MaxValue) : 0;
                }

                positions[i] = BlockPositions.Of(ticks[i], ordinal);
            }

            return positions;
        }

        private static MonarchLogEntry WithId(MonarchLogEntry entry, string id) => new MonarchLogEntry
        {
            Id = id,
            Timestamp = entry.Timestamp,
            Level = entry.Level,
            Service = entry.Service,
            Category = entry.Category,
            Message = entry.Message,
            Template = entry.Template,
            EventId = entry.EventId,
            EventName = entry.EventName,
            ExceptionType = entry.ExceptionType,
            ExceptionMessage = entry.ExceptionMessage,
            Exception = entry.Exception,
            TraceId = entry.TraceId,
            SpanId = entry.SpanId,
            Host = entry.Host,
            Properties = entry.Properties,
        };
    }
}
