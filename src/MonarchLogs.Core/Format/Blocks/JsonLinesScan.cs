using System;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Reads a block's JSON lines for what a block made of them needs, without making an entry of
    /// each line: every line's event time and the tokens (<see cref="BlockTokens"/>) its fields give.
    /// It reads only lines as a writer writes them (<see cref="JsonLinesPayload"/>: <c>ts</c> in the
    /// round-trip form, <c>eventId</c> a number, the properties an object or a plain string); on
    /// anything else it answers false, and the caller decodes the block instead, which reads every
    /// form a reader takes, or refuses the block with the same error it would give. A line exactly as
    /// a writer writes it in printable ASCII is read in one pass (<see cref="WriterLine"/>, its properties object
    /// then by <see cref="AsciiPropertyWalk"/>); any other line with a JSON reader, to the same time
    /// and tokens.
    /// </summary>
    internal static class JsonLinesScan
    {
        // The properties object (at depth 1) may nest as deep as its walk alone reads.
        private static readonly JsonReaderOptions Options = new JsonReaderOptions { MaxDepth = BlockTokens.PropertiesMaxDepth + 1 };
#if NETSTANDARD2_0
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);
#endif

        private static readonly byte[] Ts = Encoding.UTF8.GetBytes(StorageFormat.TimestampField);
        private static readonly byte[] TraceId = Encoding.UTF8.GetBytes(StorageFormat.TraceIdField);
        private static readonly byte[] SpanId = Encoding.UTF8.GetBytes(StorageFormat.SpanIdField);
        private static readonly byte[] EventId = Encoding.UTF8.GetBytes(StorageFormat.EventIdField);
        private static readonly byte[] EventName = Encoding.UTF8.GetBytes(StorageFormat.EventNameField);
        private static readonly byte[] Category = Encoding.UTF8.GetBytes(StorageFormat.CategoryField);
        private static readonly byte[] ExceptionType = Encoding.UTF8.GetBytes(StorageFormat.ExceptionTypeField);
        private static readonly byte[] Properties = Encoding.UTF8.GetBytes(StorageFormat.PropertiesField);

        // Each field's token prefix by its position in JsonLinesPayload.FieldNames (null: no token of its text).
        private static readonly string?[] Prefixes = MakePrefixes();

        private static string?[] MakePrefixes()
        {
            var prefixes = new string?[WriterLine.FieldCount];
            for (var field = 0; field < prefixes.Length; field++) prefixes[field] = TokenPrefix(JsonLinesPayload.FieldNames[field].EncodedUtf8Bytes);
            return prefixes;
        }

        /// <summary>
        /// Adds the event time (Unix ticks) of each of the <paramref name="expectedCount"/> lines of
        /// <paramref name="payload"/> to <paramref name="ticks"/>, and their tokens to
        /// <paramref name="hashes"/> (when not null); false when a line is not as a writer writes it,
        /// or the lines are not <paramref name="expectedCount"/>.
        /// </summary>
        [MethodImpl(HotPath.Options)]
        public static bool TryScan(ReadOnlySpan<byte> payload, int expectedCount, TokenHasher hasher, TokenSet? hashes, List<long> ticks)
        {
            Span<int> spans = stackalloc int[2 * WriterLine.FieldCount];
            var count = 0;
            while (payload.Length > 0)
            {
                var end = payload.IndexOf((byte)'\n');
                var line = end < 0 ? payload : payload.Slice(0, end);
                payload = end < 0 ? ReadOnlySpan<byte>.Empty : payload.Slice(end + 1);
                if (IsBlank(line)) continue;
                if (++count > expectedCount) return false;
                if (!TryWriterLine(line, spans, hasher, hashes, out var time) && !TryLine(line, hasher, hashes, out time)) return false;
                ticks.Add(time);
            }

            return count == expectedCount;
        }

        /// <summary>
        /// A line as a writer writes it (<see cref="WriterLine"/>), read in one pass to the time and
        /// the tokens, in the same order, that <see cref="TryLine"/> gives it; false (having added
        /// nothing) leaves the line to <see cref="TryLine"/>. <paramref name="spans"/> is scratch
        /// room of twice <see cref="WriterLine.FieldCount"/>.
        /// </summary>
        [MethodImpl(HotPath.Options)]
        internal static bool TryWriterLine(ReadOnlySpan<byte> line, Span<int> spans, TokenHasher hasher, TokenSet? hashes, out long ticks)
        {
            spans.Clear();
            if (!WriterLine.TryRead(line, spans, out ticks, out var eventId)) return false;

            // Properties text that starts as an object (a string, after its quote): TryLine leaves it to the decoder.
            var properties = spans[2 * JsonLinesPayload.PropertiesIndex];
            if (spans[(2 * JsonLinesPayload.PropertiesIndex) + 1] > 0 && line[properties] == (byte)'{' && line[properties - 1] == (byte)'"') return false;
            if (hashes is null) return true;

            // In the order of the line, as TryLine adds them; the event id's last.
            for (var field = 1; field < WriterLine.FieldCount; field++)
            {
                var length = spans[(2 * field) + 1];
                if (length == 0) continue;
                var value = line.Slice(spans[2 * field], length);
                if (Prefixes[field] is { } prefix) hashes.Add(hasher.Start(prefix).AppendUpperAscii(value).Hash());
                else if (field == JsonLinesPayload.PropertiesIndex && value[0] == (byte)'{') AsciiPropertyWalk.Collect(value, hasher, hashes);
            }

            hashes.Add(hasher.Start("event:").Append(eventId).Hash());
            return true;
        }

        /// <summary>A line read with a JSON reader: every form <see cref="TryScan"/> takes.</summary>
        internal static bool TryLine(ReadOnlySpan<byte> line, TokenHasher hasher, TokenSet? hashes, out long ticks)
        {
            ticks = 0;
            var hasTime = false;
            var eventId = 0;
            try
            {
                var reader = new Utf8JsonReader(line, Options);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    // An escaped name may be any field: only a writer's own lines are read here.
                    if (reader.ValueIsEscaped) return false;
                    var name = reader.ValueSpan;
                    if (!reader.Read()) return false;
                    if (name.SequenceEqual(Ts))
                    {
                        if (!TryTime(ref reader, out ticks)) return false;
                        hasTime = true;
                    }
                    else if (name.SequenceEqual(EventId))
                    {
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out eventId)) return false;
                    }
                    else if (name.SequenceEqual(Properties))
                    {
                        if (!TryProperties(ref reader, line, hasher, hashes)) return false;
                    }
                    else if (TokenPrefix(name) is { } prefix)
                    {
                        if (!TryText(ref reader, prefix, hasher, hashes)) return false;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || reader.Read()) return false;
            }
            catch (JsonException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                // A string that is not valid UTF-8.
                return false;
            }

            hashes?.Add(hasher.Start("event:").Append(eventId).Hash());
            return hasTime;
        }

        private static string? TokenPrefix(ReadOnlySpan<byte> name) =>
            name.SequenceEqual(TraceId) ? "trace:"
            : name.SequenceEqual(SpanId) ? "span:"
            : name.SequenceEqual(EventName) ? "event:"
            : name.SequenceEqual(Category) ? "cat:"
            : name.SequenceEqual(ExceptionType) ? "exc:"
            : null;

        /// <summary>The round-trip form a writer writes, in UTC; any other form is left to the decoder.</summary>
        private static bool TryTime(ref Utf8JsonReader reader, out long ticks)
        {
            ticks = 0;
            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
            var text = reader.ValueSpan;
            if (!Utf8Parser.TryParse(text, out DateTime time, out var consumed, 'O') || consumed != text.Length || time.Kind != DateTimeKind.Utc) return false;
            ticks = BlockHeader.ToUnixTicks(time);
            return true;
        }

        /// <summary>A text field's token, upper-cased as <see cref="BlockTokens"/> makes it; nothing for an empty or null value.</summary>
        private static bool TryText(ref Utf8JsonReader reader, string prefix, TokenHasher hasher, TokenSet? hashes)
        {
            if (reader.TokenType == JsonTokenType.Null) return true;
            if (reader.TokenType != JsonTokenType.String) return false;
            if (hashes is null || reader.ValueSpan.Length == 0) return true;
            hasher.Start(prefix).AppendUpperString(ref reader, int.MaxValue);
            hashes.Add(hasher.Hash());
            return true;
        }

        /// <summary>The properties: an object's tokens from its very text; a string only when it cannot be an object's text.</summary>
        private static bool TryProperties(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, TokenHasher hasher, TokenSet? hashes)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    var start = (int)reader.TokenStartIndex;
                    if (hashes is null)
                    {
                        reader.Skip();
                        return true;
                    }

                    // Walked in place, not skipped and read again.
                    BlockTokens.CollectProperties(ref reader, hasher, hashes);

                    // The decoder reads the object's text leniently: leave text that is not UTF-8 to it.
                    return IsUtf8(line.Slice(start, (int)reader.BytesConsumed - start));
                case JsonTokenType.String:
                    // Text that starts as an object would be walked: leave it to the decoder.
                    return reader.ValueIsEscaped ? false : reader.ValueSpan.Length == 0 || reader.ValueSpan[0] != (byte)'{';
                case JsonTokenType.StartArray:
                    reader.Skip();
                    return true;
                default:
                    return true;
            }
        }

        private static bool IsUtf8(ReadOnlySpan<byte> text)
        {
            if (TokenHasher.IsAscii(text)) return true;
#if NETSTANDARD2_0
            try
            {
                StrictUtf8.GetCharCount(text.ToArray());
                return true;
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
#else
            return System.Text.Unicode.Utf8.IsValid(text);
#endif
        }

        private static bool IsBlank(ReadOnlySpan<byte> line)
        {
            foreach (var b in line)
            {
                if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r') return false;
            }

            return true;
        }
    }
}
