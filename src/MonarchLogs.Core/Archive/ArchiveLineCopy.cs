using System;
using System.Runtime.CompilerServices;
using System.Text;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// The payload line of an archive line exactly as an export writes it, in one pass of byte
    /// copies: no white space, the fields in the export's order and each once, every value printable
    /// ASCII, every string without escapes (the properties' string excepted: its only escapes are
    /// <c>\"</c> and <c>\\</c>, and its text is an object <see cref="WriterLine"/> reads), the event
    /// id a whole number as a writer writes one. It gives the bytes <see cref="ImportLinePayload"/>
    /// writes for the line, or declines, and the line then goes that way.
    /// </summary>
    internal static class ArchiveLineCopy
    {
        private static readonly byte[] IdStart = Ascii("{\"" + ArchiveFormat.IdField + "\":");
        private static readonly byte[] TsStart = Ascii(",\"" + StorageFormat.TimestampField + "\":\"");
        private static readonly byte[] LevelStart = Ascii(",\"" + StorageFormat.LevelField + "\":");
        private static readonly byte[] ServiceStart = Ascii(",\"" + StorageFormat.ServiceField + "\":");
        private static readonly byte[] PayloadStart = Ascii("{\"" + StorageFormat.TimestampField + "\":\"");

        // Each field after the service as it starts: ,"name":
        private static readonly byte[][] Starts = MakeStarts();

        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        private static byte[][] MakeStarts()
        {
            var starts = new byte[JsonLinesPayload.FieldNames.Length][];
            for (var i = 0; i < starts.Length; i++) starts[i] = Ascii(",\"" + JsonLinesPayload.FieldNames[i].ToString() + "\":");
            return starts;
        }

        /// <summary>
        /// Writes the payload line of <paramref name="line"/> into <paramref name="destination"/>
        /// (at least as long as the line) and gives its length, the entry's service, level and event
        /// time in Unix ticks; -1 declines (what it wrote then counts for nothing).
        /// </summary>
        [MethodImpl(HotPath.Options)]
        public static int TryCopy(ReadOnlySpan<byte> line, Span<byte> destination, string? defaultService, out string service, out MonarchLogLevel level, out long ticks)
        {
            (service, level, ticks) = (string.Empty, default, 0);
            if (!line.StartsWith((ReadOnlySpan<byte>)IdStart)) return -1;
            var position = WriterLine.SkipString(line, IdStart.Length);
            if (position < 0 || !At(line, position, TsStart)) return -1;
            var ts = position + TsStart.Length;
            if (line.Length < ts + 29 || line[ts + 28] != (byte)'"' || !StorageFormat.TryParseRoundTrip(line.Slice(ts, 28), out var time)) return -1;
            position = ts + 29;
            if (!At(line, position, LevelStart)) return -1;
            var levelStart = position + LevelStart.Length;
            position = WriterLine.SkipString(line, levelStart);
            if (position < 0 || !ArchiveEntryReader.TryLevel(line.Slice(levelStart + 1, position - levelStart - 2), out level) || !At(line, position, ServiceStart)) return -1;
            var serviceStart = position + ServiceStart.Length;
            position = WriterLine.SkipString(line, serviceStart);
            if (position < 0) return -1;
            var serviceBytes = line.Slice(serviceStart + 1, position - serviceStart - 2);
            PayloadStart.CopyTo(destination);
            line.Slice(ts, 29).CopyTo(destination.Slice(PayloadStart.Length));
            var at = PayloadStart.Length + 29;
            for (var field = 1; field < Starts.Length; field++)
            {
                if (!At(line, position, Starts[field])) return -1;
                var start = position;
                position += Starts[field].Length;
                if (field == JsonLinesPayload.PropertiesIndex)
                {
                    position = CopyProperties(line, position, destination, ref at);
                    if (position < 0) return -1;
                    continue;
                }

                int empty;
                if (field == JsonLinesPayload.EventIdIndex)
                {
                    if (!WriterLine.TryNumber(line, ref position, out var eventId)) return -1;
                    empty = eventId == 0 ? position : -1;
                }
                else
                {
                    var valueStart = position;
                    position = WriterLine.SkipString(line, position);
                    if (position < 0) return -1;
                    empty = valueStart + 2;
                }

                if (position == empty) continue;
                line.Slice(start, position - start).CopyTo(destination.Slice(at));
                at += position - start;
            }

            if (position != line.Length - 1 || line[position] != (byte)'}') return -1;
            service = serviceBytes.Length == 0 ? defaultService ?? string.Empty : ArchiveEntryReader.RepeatedText(serviceBytes);
            if (!StorageFormat.IsValidServiceName(service)) return -1;
            ticks = BlockHeader.ToUnixTicks(time);
            destination[at++] = (byte)'}';
            return at;
        }

        /// <summary>The properties' string from its opening quote, its text written as the object it is (nothing for no text): the position after it; -1 for any other.</summary>
        [MethodImpl(HotPath.Options)]
        private static int CopyProperties(ReadOnlySpan<byte> line, int position, Span<byte> destination, ref int at)
        {
            if (position >= line.Length || line[position] != (byte)'"') return -1;
            position++;
            if (position < line.Length && line[position] == (byte)'"') return position + 1;
            Starts[JsonLinesPayload.PropertiesIndex].CopyTo(destination.Slice(at));
            at += Starts[JsonLinesPayload.PropertiesIndex].Length;
            var textStart = at;
            while (true)
            {
                var rest = line.Slice(position);
                var special = rest.IndexOfAny((byte)'"', (byte)'\\');
                // Its bytes need no check here: the object's check below takes printable ASCII only.
                if (special < 0) return -1;
                rest.Slice(0, special).CopyTo(destination.Slice(at));
                at += special;
                position += special;
                if (line[position] == (byte)'"') break;
                if (position + 1 >= line.Length || (line[position + 1] != (byte)'"' && line[position + 1] != (byte)'\\')) return -1;
                destination[at++] = line[position + 1];
                position += 2;
            }

            var text = destination.Slice(textStart, at - textStart);
            if (text[0] != (byte)'{' || WriterLine.SkipValue(text, 0, 1) != text.Length) return -1;
            return position + 1;
        }

        private static bool At(ReadOnlySpan<byte> line, int position, byte[] expected) =>
            line.Length - position >= expected.Length && line.Slice(position, expected.Length).SequenceEqual(expected);
    }
}
