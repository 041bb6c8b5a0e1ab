using System;
using System.Runtime.CompilerServices;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Threading;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// A block's payload lines checked as <see cref="JsonLinesPayload.Read"/> checks them, without
    /// making entries of them: each line's event time and event id, and where each of its other
    /// fields' value lies in the payload. An export copies such values into its archive as they
    /// are; a value that is not plain ASCII (escapes, other text, a properties value that is no
    /// string) is kept as the text an entry would hold, so that both give the same line.
    /// </summary>
    internal sealed class PayloadLines
    {
        private static readonly int FieldCount = JsonLinesPayload.FieldNames.Length;

        private byte[]? _payload;
        private readonly bool _pooled;
        private int _held;
        private readonly long[] _ticks;
        private readonly int[] _eventIds;

        // Per line: where it starts in the payload, its length, and its number among the payload's lines (blank ones counted).
        private readonly int[] _lines;

        // Per line and field: where its bytes start and how many there are; the text of a value
        // that is not plain ASCII (rare: the array is made for the first).
        private readonly int[] _spans;
        private string?[]? _texts;

        private PayloadLines(byte[] payload, bool pooled, int count)
        {
            _payload = payload;
            _pooled = pooled;
            _ticks = new long[count];
            _eventIds = new int[count];
            _lines = new int[count * 3];
            _spans = new int[count * FieldCount * 2];
        }

        /// <summary>The number of lines.</summary>
        public int Count => _ticks.Length;

        /// <summary>The event time of line <paramref name="line"/>, in Unix ticks.</summary>
        public long TicksOf(int line) => _ticks[line];

        /// <summary>The event id of line <paramref name="line"/> (0 when it has none).</summary>
        public int EventIdOf(int line) => _eventIds[line];

        /// <summary>The bytes of line <paramref name="line"/>, without its line end.</summary>
        public ReadOnlySpan<byte> LineOf(int line) =>
            new ReadOnlySpan<byte>(_payload ?? throw new ObjectDisposedException(nameof(PayloadLines)), _lines[3 * line], _lines[(3 * line) + 1]);

        /// <summary>The number of line <paramref name="line"/> among the payload's lines, from 1, blank lines counted (as errors name lines).</summary>
        public int NumberOf(int line) => _lines[(3 * line) + 2];

        /// <summary>The value of field <paramref name="field"/> (a position in <see cref="JsonLinesPayload.FieldNames"/>) of line <paramref name="line"/>.</summary>
        public PayloadValue ValueOf(int line, int field)
        {
            var slot = line * FieldCount + field;
            return new PayloadValue(_spans[2 * slot], _spans[(2 * slot) + 1], _texts?[slot]);
        }

        private void SetSpan(int slot, int start, int length)
        {
            _spans[2 * slot] = start;
            _spans[(2 * slot) + 1] = length;
            if (_texts is not null) _texts[slot] = null;
        }

        private void SetText(int slot, string text)
        {
            _texts ??= new string?[_eventIds.Length * FieldCount];
            _texts[slot] = text;
            _spans[2 * slot] = 0;
            _spans[(2 * slot) + 1] = 0;
        }

        /// <summary>The bytes of a value that <see cref="PayloadValue.IsAscii"/>.</summary>
        public ReadOnlySpan<byte> BytesOf(PayloadValue value) =>
            new ReadOnlySpan<byte>(_payload ?? throw new ObjectDisposedException(nameof(PayloadLines)), value.Start, value.Length);

        /// <summary>
        /// <paramref name="lines"/> of these lines are handed on, each to be <see cref="Release"/>d once
        /// written: the payload's buffer, rented from the shared pool, goes back to it after the last
        /// (one never released is left to the garbage collector). Call it once, before handing any on.
        /// </summary>
        public void Hold(int lines)
        {
            _held = lines;
            if (lines == 0) Return();
        }

        /// <summary>One of the lines handed on has been written: its values are not read again.</summary>
        public void Release()
        {
            if (Interlocked.Decrement(ref _held) == 0) Return();
        }

        private void Return()
        {
            var payload = Interlocked.Exchange(ref _payload, null);
            if (_pooled && payload is not null) ArrayPool<byte>.Shared.Return(payload);
        }

        /// <summary>
        /// Reads exactly <paramref name="expectedCount"/> lines of the first <paramref name="length"/>
        /// bytes of <paramref name="payload"/>, a buffer rented from the shared pool when
        /// <paramref name="pooled"/> (see <see cref="Hold"/>).
        /// </summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>, as <see cref="JsonLinesPayload.Read"/>.</exception>
        [MethodImpl(HotPath.Options)]
        public static PayloadLines Read(byte[] payload, int length, bool pooled, int expectedCount)
        {
            var lines = new PayloadLines(payload, pooled, expectedCount);
            var start = 0;
            var read = 0;
            var number = 0;
            Span<int> spans = stackalloc int[2 * FieldCount];
            while (start < length)
            {
                var end = Array.IndexOf(payload, (byte)'\n', start, length - start);
                if (end < 0) end = length;
                var text = new ReadOnlySpan<byte>(payload, start, end - start);
                var offset = start;
                start = end + 1;
                number++;
                if (JsonLinesPayload.IsBlank(text)) continue;
                if (read == expectedCount) throw BlockErrors.Invalid($"its payload holds more entries than its n field says ({expectedCount})");
                lines._lines[3 * read] = offset;
                lines._lines[(3 * read) + 1] = text.Length;
                lines._lines[(3 * read) + 2] = number;

                // A line as a writer writes it reads without the JSON reader, to the same values.
                spans.Clear();
                if (WriterLine.TryRead(text, spans, out var ticks, out var eventId))
                {
                    var first = read * FieldCount * 2;
                    for (var i = 0; i < spans.Length; i += 2)
                    {
                        lines._spans[first + i] = spans[i] + offset;
                        lines._spans[first + i + 1] = spans[i + 1];
                    }

                    lines._ticks[read] = ticks;
                    lines._eventIds[read] = eventId;
                    read++;
                    continue;
                }

                var fields = new LineFields { Lines = lines, Index = read, Offset = offset };
                JsonLinesPayload.Scan(text, number, ref fields);
                if (!fields.HasTs) throw BlockErrors.Invalid($"line {number} of its payload has no ts field");
                lines._ticks[read] = BlockHeader.ToUnixTicks(fields.Time ?? JsonLinesPayload.ParseTime(fields.TsText!, number));
                read++;
            }

            if (read != expectedCount) throw BlockErrors.Invalid($"its payload holds {read} entries, its n field says {expectedCount}");
            return lines;
        }

        /// <summary>Plain ASCII a JSON string holds as it is: no escapes, no control characters.</summary>
        private static bool IsPlainAscii(ReadOnlySpan<byte> text)
        {
            foreach (var b in text)
            {
                if (b < 0x20 || b > 0x7e) return false;
            }

            return true;
        }

        /// <summary>Where one line's values lie; its time read from the form every writer stores, else kept as text.</summary>
        private struct LineFields : JsonLinesPayload.IFieldReader
        {
            public PayloadLines Lines;
            public int Index;
            public int Offset;
            public bool HasTs;
            public DateTime? Time;
            public string? TsText;

            public void Read(int field, ref Utf8JsonReader reader, ReadOnlySpan<byte> line, int number)
            {
                var slot = Index * FieldCount + field;
                if (field == JsonLinesPayload.EventIdIndex)
                {
                    Lines._eventIds[Index] = JsonLinesPayload.Int(ref reader, number);
                    return;
                }

                if (field == JsonLinesPayload.TsIndex)
                {
                    HasTs = true;
                    var time = default(DateTime);
                    var plain = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && StorageFormat.TryParseRoundTrip(reader.ValueSpan, out time);
                    Time = plain ? time : null;
                    TsText = plain ? null : JsonLinesPayload.String(ref reader, number, JsonLinesPayload.FieldNames[field]);
                    return;
                }

                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && IsPlainAscii(reader.ValueSpan))
                {
                    Lines.SetSpan(slot, (int)reader.TokenStartIndex + 1 + Offset, reader.ValueSpan.Length);
                }
                else if (field == JsonLinesPayload.PropertiesIndex)
                {
                    var start = (int)reader.TokenStartIndex;
                    var text = JsonLinesPayload.PropertiesValue(ref reader, line);
                    var raw = line.Slice(start, (int)reader.BytesConsumed - start);
                    // An object of plain ASCII is copied as it is; its text is the same bytes.
                    if (reader.TokenType == JsonTokenType.EndObject && IsPlainAscii(raw)) Lines.SetSpan(slot, start + Offset, raw.Length);
                    else Lines.SetText(slot, text);
                }
                else
                {
                    Lines.SetText(slot, JsonLinesPayload.String(ref reader, number, JsonLinesPayload.FieldNames[field]));
                }
            }
        }
    }
}
