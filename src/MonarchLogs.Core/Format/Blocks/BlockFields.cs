using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// A block as one stream entry: the header as plain fields that <c>XRANGE</c> shows, then the
    /// payload, always in this order, so that the blocks of a stream node share their field names
    /// (docs/storage-format.md, "A block entry").
    /// </summary>
    internal static class BlockFields
    {
        public const string Count = "n";
        public const string FirstTime = "t0";
        public const string LastTime = "t1";
        public const string Writer = "w";
        public const string Sequence = "seq";
        public const string Codec = "codec";
        public const string Minutes = "min";
        public const string Bloom = "bloom";
        public const string Data = "data";

        /// <summary>The longest writer id, in characters.</summary>
        public const int MaxWriterIdLength = 200;

        /// <summary>The stream entry's fields: n, t0, t1, w, seq, codec, min, bloom (when the block has one), data.</summary>
        public static NameValueEntry[] ToStreamFields(EncodedBlock block)
        {
            var header = block.Header;
            var fields = new List<NameValueEntry>(9)
            {
                new NameValueEntry(Count, header.Count),
                new NameValueEntry(FirstTime, header.FirstTicks),
                new NameValueEntry(LastTime, header.LastTicks),
                new NameValueEntry(Writer, header.WriterId),
                new NameValueEntry(Sequence, header.Sequence),
                new NameValueEntry(Codec, BlockCodecs.Name(header.Codec)),
                new NameValueEntry(Minutes, FormatMinutes(header.MinuteCounts)),
            };
            if (header.Bloom is { } bloom) fields.Add(new NameValueEntry(Bloom, bloom.ToBytes()));
            fields.Add(new NameValueEntry(Data, block.Payload));
            return fields.ToArray();
        }

        /// <summary>
        /// Reads a block entry. Required: n, t0, t1, codec, data; w, seq, min and bloom may be
        /// missing (a block written by hand); unknown fields are ignored, in any order.
        /// </summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c> for a missing or malformed field; <c>UnsupportedBlockCodec</c> for an unknown codec.</exception>
        public static EncodedBlock Parse(NameValueEntry[] fields)
        {
            RedisValue count = RedisValue.Null, first = RedisValue.Null, last = RedisValue.Null, writer = RedisValue.Null, sequence = RedisValue.Null;
            RedisValue codec = RedisValue.Null, minutes = RedisValue.Null, bloom = RedisValue.Null, data = RedisValue.Null;
            foreach (var field in fields ?? Array.Empty<NameValueEntry>())
            {
                switch ((string?)field.Name)
                {
                    case Count: count = field.Value; break;
                    case FirstTime: first = field.Value; break;
                    case LastTime: last = field.Value; break;
                    case Writer: writer = field.Value; break;
                    case Sequence: sequence = field.Value; break;
                    case Codec: codec = field.Value; break;
                    case Minutes: minutes = field.Value; break;
                    case Bloom: bloom = field.Value; break;
                    case Data: data = field.Value; break;
                }
            }

            var n = Number(count, Count, required: true, allowNegative: false);
            if (n < 1 || n > BlockHeader.MaxCount) throw BlockErrors.Invalid($"its entry count n = {n} is not between 1 and {BlockHeader.MaxCount}");
            var t0 = Number(first, FirstTime, required: true, allowNegative: true);
            var t1 = Number(last, LastTime, required: true, allowNegative: true);
            if (t0 > t1) throw BlockErrors.Invalid($"its first event time t0 = {t0} is after its last t1 = {t1}");
            if (t0 < MinTicks || t1 > MaxTicks) throw BlockErrors.Invalid($"its event times t0 = {t0}, t1 = {t1} are outside the years 0001 to 9999");
            if (codec.IsNull) throw BlockErrors.Invalid("it has no codec field");
            if (data.IsNull) throw BlockErrors.Invalid("it has no data field");
            var writerId = writer.IsNull ? string.Empty : (string?)writer ?? string.Empty;
            if (writerId.Length > MaxWriterIdLength) throw BlockErrors.Invalid($"its writer id is longer than {MaxWriterIdLength} characters");

            return new EncodedBlock(
                new BlockHeader
                {
                    Count = (int)n,
                    FirstTicks = t0,
                    LastTicks = t1,
                    WriterId = writerId,
                    Sequence = Number(sequence, Sequence, required: false, allowNegative: false),
                    Codec = BlockCodecs.Parse((string?)codec ?? string.Empty),
                    MinuteCounts = minutes.IsNullOrEmpty ? Array.Empty<MinuteCount>() : ParseMinutes((string?)minutes ?? string.Empty, (int)n, t0, t1),
                    Bloom = bloom.IsNull || ((ReadOnlyMemory<byte>)bloom).Length == 0 ? null : BloomFilter.FromBytes(((ReadOnlyMemory<byte>)bloom).Span),
                },
                (ReadOnlyMemory<byte>)data);
        }

        private static readonly long MinTicks = BlockHeader.ToUnixTicks(DateTime.MinValue);
        private static readonly long MaxTicks = BlockHeader.ToUnixTicks(DateTime.MaxValue);

        /// <summary>
        /// <c>&lt;minute&gt;:&lt;count&gt;</c> pairs separated by one space, minutes ascending, for
        /// example <c>29406672:250 29406673:6</c>.
        /// </summary>
        public static string FormatMinutes(IReadOnlyList<MinuteCount> minutes)
        {
            var text = new StringBuilder(minutes.Count * 12);
            foreach (var minute in minutes)
            {
                if (text.Length > 0) text.Append(' ');
                text.Append(minute.ToString());
            }

            return text.ToString();
        }

        /// <summary>Reads the min field: whole pairs, minutes ascending inside [t0, t1], counts of at least 1 that add up to n.</summary>
        public static IReadOnlyList<MinuteCount> ParseMinutes(string text, int count, long firstTicks, long lastTicks)
        {
            var pairs = text.Length == 0 ? Array.Empty<string>() : text.Split(' ');
            var result = new List<MinuteCount>(pairs.Length);
            long sum = 0;
            foreach (var pair in pairs)
            {
                var colon = pair.IndexOf(':');
                if (colon <= 0
                    || !long.TryParse(pair.Substring(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var minute)
                    || !int.TryParse(pair.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var entries)
                    || entries < 1)
                {
                    throw BlockErrors.Invalid($"its min field '{DisplayText.Quote(text)}' is not <minute>:<count> pairs separated by spaces");
                }

                if (result.Count > 0 && minute <= result[result.Count - 1].Minute) throw BlockErrors.Invalid($"the minutes of its min field '{DisplayText.Quote(text)}' are not ascending");
                if (minute < BlockHeader.MinuteOf(firstTicks) || minute > BlockHeader.MinuteOf(lastTicks)) throw BlockErrors.Invalid($"its min field names the minute {minute}, outside its event times t0 to t1");
                result.Add(new MinuteCount(minute, entries));
                sum += entries;
            }

            if (sum != count) throw BlockErrors.Invalid($"its min field counts {sum} entries, its n field {count}");
            return result;
        }

        private static long Number(RedisValue value, string name, bool required, bool allowNegative)
        {
            if (value.IsNull)
            {
                if (required) throw BlockErrors.Invalid($"it has no {name} field");
                return 0;
            }

            var text = (string?)value ?? string.Empty;
            if (!long.TryParse(text, allowNegative ? NumberStyles.AllowLeadingSign : NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                throw BlockErrors.Invalid($"its {name} field '{DisplayText.Quote(text)}' is not a whole number");
            }

            return number;
        }
    }
}
