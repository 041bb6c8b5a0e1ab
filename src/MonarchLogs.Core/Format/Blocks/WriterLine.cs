using System;
using System.Runtime.CompilerServices;
using System.Text;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Reads a payload line only when it is exactly as a writer writes it
    /// (<see cref="JsonLinesPayload.Write"/>) and all of it is printable ASCII: no white space,
    /// <c>ts</c> first in the round-trip form, the other fields in <see cref="JsonLinesPayload.FieldNames"/>
    /// order, each once, every string without escapes, <c>eventId</c> a whole number, the
    /// properties a string or a JSON object. Such a line reads in one pass without a JSON reader;
    /// for any other line it answers false and the caller reads it with <see cref="JsonLinesPayload.Scan"/>,
    /// which reads every form a reader takes, or refuses it. It never takes a line that
    /// <see cref="JsonLinesPayload.Scan"/> refuses, and finds the same values in it.
    /// </summary>
    internal static class WriterLine
    {
        /// <summary>The number of fields, and half the length of the spans <see cref="TryRead"/> fills.</summary>
        public static readonly int FieldCount = JsonLinesPayload.FieldNames.Length;

        // The property objects nested deeper are left to the JSON reader.
        private const int MaxDepth = 32;

        private static readonly byte[] TsStart = Encoding.ASCII.GetBytes("{\"" + StorageFormat.TimestampField + "\":\"");

        // Each field's name as it comes after a comma: "name":
        private static readonly byte[][] Names = MakeNames();

        private static byte[][] MakeNames()
        {
            var names = new byte[JsonLinesPayload.FieldNames.Length][];
            for (var i = 0; i < names.Length; i++)
            {
                var name = JsonLinesPayload.FieldNames[i].EncodedUtf8Bytes;
                var bytes = new byte[name.Length + 3];
                bytes[0] = (byte)'"';
                name.CopyTo(new Span<byte>(bytes, 1, name.Length));
                bytes[name.Length + 1] = (byte)'"';
                bytes[name.Length + 2] = (byte)':';
                names[i] = bytes;
            }

            return names;
        }

        /// <summary>
        /// Reads <paramref name="line"/> when it is as a writer writes it: its event time in Unix
        /// ticks, its event id (0 without one), and in <paramref name="spans"/> the start (in the
        /// line) and length of each field's value, as <see cref="PayloadLines"/> keeps them (a
        /// string's content; the properties object whole); a field the line lacks is left as it was.
        /// </summary>
        [MethodImpl(HotPath.Options)]
        public static bool TryRead(ReadOnlySpan<byte> line, Span<int> spans, out long ticks, out int eventId)
        {
            ticks = 0;
            eventId = 0;
            if (!line.StartsWith((ReadOnlySpan<byte>)TsStart)) return false;
            var position = TsStart.Length;
            if (line.Length < position + 29 || line[position + 28] != (byte)'"') return false;
            if (!StorageFormat.TryParseRoundTrip(line.Slice(position, 28), out var time)) return false;
            ticks = BlockHeader.ToUnixTicks(time);
            position += 29;
            var next = 1;
            while (position < line.Length && line[position] == (byte)',')
            {
                position++;
                var field = FieldAt(line, position, next);
                if (field < 0) return false;
                position += Names[field].Length;
                next = field + 1;
                if (field == JsonLinesPayload.EventIdIndex)
                {
                    if (!TryNumber(line, ref position, out eventId)) return false;
                    continue;
                }

                var start = position;
                if (field == JsonLinesPayload.PropertiesIndex && position < line.Length && line[position] == (byte)'{')
                {
                    position = SkipValue(line, position, 1);
                    if (position < 0) return false;
                    spans[2 * field] = start;
                    spans[(2 * field) + 1] = position - start;
                    continue;
                }

                position = SkipString(line, position);
                if (position < 0) return false;
                spans[2 * field] = start + 1;
                spans[(2 * field) + 1] = position - start - 2;
            }

            return position == line.Length - 1 && line[position] == (byte)'}';
        }

        /// <summary>The field (at or after <paramref name="first"/>) whose <c>"name":</c> starts at <paramref name="position"/>; -1 for none.</summary>
        [MethodImpl(HotPath.Options)]
        private static int FieldAt(ReadOnlySpan<byte> line, int position, int first)
        {
            var rest = line.Slice(position);
            for (var field = first; field < Names.Length; field++)
            {
                if (rest.StartsWith((ReadOnlySpan<byte>)Names[field])) return field;
            }

            return -1;
        }

        /// <summary>A JSON string of printable ASCII without escapes, from its opening quote: the position after its closing quote; -1 for any other.</summary>
        [MethodImpl(HotPath.Options)]
        internal static int SkipString(ReadOnlySpan<byte> line, int position)
        {
            if (position >= line.Length || line[position] != (byte)'"') return -1;
#if NET8_0_OR_GREATER
            var content = line.Slice(position + 1);
            var end = content.IndexOfAny((byte)'"', (byte)'\\');
            if (end < 0 || content[end] != (byte)'"' || content.Slice(0, end).IndexOfAnyExceptInRange((byte)0x20, (byte)0x7e) >= 0) return -1;
            return position + end + 2;
#else
            for (var i = position + 1; i < line.Length; i++)
            {
                var b = line[i];
                if (b == (byte)'"') return i + 1;
                if (b < 0x20 || b > 0x7e || b == (byte)'\\') return -1;
            }

            return -1;
#endif
        }

        /// <summary>A whole number as a writer writes one (no sign but minus, no leading zero), of 32 bits.</summary>
        [MethodImpl(HotPath.Options)]
        internal static bool TryNumber(ReadOnlySpan<byte> line, ref int position, out int value)
        {
            value = 0;
            var negative = position < line.Length && line[position] == (byte)'-';
            var i = negative ? position + 1 : position;
            var first = i;
            long number = 0;
            while (i < line.Length && line[i] >= (byte)'0' && line[i] <= (byte)'9')
            {
                number = (number * 10) + (line[i] - '0');
                if (number > (long)int.MaxValue + 1) return false;
                i++;
            }

            var digits = i - first;
            if (digits == 0 || (line[first] == (byte)'0' && (digits > 1 || negative))) return false;
            if (negative) number = -number;
            if (number > int.MaxValue || number < int.MinValue) return false;
            value = (int)number;
            position = i;
            return true;
        }

        /// <summary>
        /// A JSON value of printable ASCII, strings without escapes, spaces as its only white space,
        /// from its first byte: the position after it; -1 for anything else (which the JSON reader then judges).
        /// </summary>
        [MethodImpl(HotPath.Options)]
        internal static int SkipValue(ReadOnlySpan<byte> line, int position, int depth)
        {
            if (position >= line.Length) return -1;
            switch (line[position])
            {
                case (byte)'"':
                    return SkipString(line, position);
                case (byte)'{':
                case (byte)'[':
                    return depth > MaxDepth ? -1 : SkipContainer(line, position, depth);
                case (byte)'t':
                    return Literal(line, position, "true");
                case (byte)'f':
                    return Literal(line, position, "false");
                case (byte)'n':
                    return Literal(line, position, "null");
                default:
                    return SkipNumber(line, position);
            }
        }

        /// <summary>An object or an array, from its opening bracket.</summary>
        [MethodImpl(HotPath.Options)]
        private static int SkipContainer(ReadOnlySpan<byte> line, int position, int depth)
        {
            var isObject = line[position] == (byte)'{';
            var close = isObject ? (byte)'}' : (byte)']';
            position = SkipSpaces(line, position + 1);
            if (position < line.Length && line[position] == close) return position + 1;
            while (true)
            {
                if (isObject)
                {
                    position = SkipString(line, position);
                    if (position < 0) return -1;
                    position = SkipSpaces(line, position);
                    if (position >= line.Length || line[position] != (byte)':') return -1;
                    position = SkipSpaces(line, position + 1);
                }

                position = SkipValue(line, position, depth + 1);
                if (position < 0) return -1;
                position = SkipSpaces(line, position);
                if (position >= line.Length) return -1;
                if (line[position] == close) return position + 1;
                if (line[position] != (byte)',') return -1;
                position = SkipSpaces(line, position + 1);
            }
        }

        private static int SkipSpaces(ReadOnlySpan<byte> line, int position)
        {
            while (position < line.Length && line[position] == (byte)' ') position++;
            return position;
        }

        private static int Literal(ReadOnlySpan<byte> line, int position, string literal)
        {
            if (line.Length - position < literal.Length) return -1;
            for (var i = 0; i < literal.Length; i++)
            {
                if (line[position + i] != (byte)literal[i]) return -1;
            }

            return position + literal.Length;
        }

        /// <summary>-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
        [MethodImpl(HotPath.Options)]
        private static int SkipNumber(ReadOnlySpan<byte> line, int position)
        {
            var i = position;
            if (i < line.Length && line[i] == (byte)'-') i++;
            if (i >= line.Length || !IsDigit(line[i])) return -1;
            if (line[i] == (byte)'0') i++;
            else i = SkipDigits(line, i);
            if (i < line.Length && line[i] == (byte)'.')
            {
                var fraction = i + 1;
                i = SkipDigits(line, fraction);
                if (i == fraction) return -1;
            }

            if (i < line.Length && (line[i] == (byte)'e' || line[i] == (byte)'E'))
            {
                i++;
                if (i < line.Length && (line[i] == (byte)'+' || line[i] == (byte)'-')) i++;
                var exponent = i;
                i = SkipDigits(line, exponent);
                if (i == exponent) return -1;
            }

            return i;
        }

        private static int SkipDigits(ReadOnlySpan<byte> line, int position)
        {
            while (position < line.Length && IsDigit(line[position])) position++;
            return position;
        }

        private static bool IsDigit(byte b) => b >= (byte)'0' && b <= (byte)'9';
    }
}
