using System;
using System.Buffers.Text;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// The fast way from an archive entry line, as an export writes it, to the block payload line
    /// of the same entry (<see cref="JsonLinesPayload"/>), without making the entry: the two are
    /// nearly the same JSON (the payload line leaves out the id, the level, the service, empty fields
    /// and an event id of 0, and holds the properties object itself). It converts only lines whose
    /// payload line is then byte for byte what <see cref="JsonLinesPayload.Write"/> writes for the
    /// entry <see cref="ArchiveEntryReader"/> reads: every field name plain, every value a plain
    /// UTF-8 string without escapes (the properties excepted: their text is one JSON object on one
    /// line), the time in the round-trip form. Any other line is left to the entry's way.
    /// </summary>
    internal static class ImportLinePayload
    {
        private static readonly JsonReaderOptions Options = new JsonReaderOptions { MaxDepth = 256 };
        private static readonly JsonReaderOptions PropertiesOptions = new JsonReaderOptions { MaxDepth = 64 };

        // The fields in the order an export writes them; a field's position is its bit in the set of fields seen.
        private const int Id = 0, Ts = 1, Level = 2, Service = 3, EventId = 7, Properties = 15;

        // Each field's name as the payload line writes it: "name":
        private static readonly byte[][] Keys = ArchiveEntryReader.FieldNames.Select(name => Encoding.UTF8.GetBytes("\"" + Encoding.UTF8.GetString(name) + "\":")).ToArray();

        [ThreadStatic]
        private static byte[]? t_properties;

        /// <summary>
        /// Writes the payload line of <paramref name="line"/> (without its line end) to
        /// <paramref name="output"/> and gives the entry's service (<paramref name="defaultService"/>
        /// when the line names none), level and event time in Unix ticks; false leaves the line to
        /// the entry's way (<paramref name="output"/> then holds nothing of it).
        /// </summary>
        public static bool TryConvert(ReadOnlySpan<byte> line, string? defaultService, MemoryStream output, out string service, out MonarchLogLevel level, out long ticks) =>
            TryCopy(line, defaultService, output, out service, out level, out ticks) || TryConvertWithReader(line, defaultService, output, out service, out level, out ticks);

        /// <summary>A line exactly as an export writes it, through <see cref="ArchiveLineCopy"/>; false leaves <paramref name="output"/> as it was.</summary>
        private static bool TryCopy(ReadOnlySpan<byte> line, string? defaultService, MemoryStream output, out string service, out MonarchLogLevel level, out long ticks)
        {
            (service, level, ticks) = (string.Empty, default, 0);
            var start = (int)output.Length;
            output.SetLength(start + line.Length + 1);
            var length = output.TryGetBuffer(out var buffer)
                ? ArchiveLineCopy.TryCopy(line, new Span<byte>(buffer.Array, buffer.Offset + start, line.Length + 1), defaultService, out service, out level, out ticks)
                : -1;
            output.SetLength(start + Math.Max(length, 0));
            output.Position = output.Length;
            return length >= 0;
        }

        /// <summary>The same through a JSON reader, for any line; the way of a line <see cref="ArchiveLineCopy"/> declines.</summary>
        internal static bool TryConvertWithReader(ReadOnlySpan<byte> line, string? defaultService, MemoryStream output, out string service, out MonarchLogLevel level, out long ticks)
        {
            var start = output.Length;
            try
            {
                if (TryWrite(line, defaultService, output, out service, out level, out ticks)) return true;
            }
            catch (JsonException)
            {
            }
            catch (InvalidOperationException)
            {
            }

            output.SetLength(start);
            (service, level, ticks) = (string.Empty, default, 0);
            return false;
        }

        [MethodImpl(HotPath.Options)]
        private static bool TryWrite(ReadOnlySpan<byte> line, string? defaultService, MemoryStream output, out string service, out MonarchLogLevel level, out long ticks)
        {
            (service, level, ticks) = (string.Empty, default, 0);
            var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(Options));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            output.WriteByte((byte)'{');
            Span<byte> digits = stackalloc byte[12];
            var first = true;
            var seen = 0;
            var expected = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped) return false;
                var field = ArchiveEntryReader.FieldOf(reader.ValueSpan, expected);
                if (field < 0) return false;
                expected = field + 1;
                if ((seen & (1 << field)) != 0) return false;
                seen |= 1 << field;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null && field != Ts && field != Level && field != EventId) continue;
                if (field == EventId)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var eventId)) return false;
                    if (eventId == 0) continue;
                    Key(output, field, ref first);
                    Utf8Formatter.TryFormat(eventId, digits, out var length);
                    Write(output, digits.Slice(0, length));
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String) return false;
                var value = reader.ValueSpan;
                if (field == Properties)
                {
                    if (value.Length > 0 && !TryWriteProperties(ref reader, output, ref first)) return false;
                    continue;
                }

                if (reader.ValueIsEscaped || !IsPlainUtf8(value)) return false;
                switch (field)
                {
                    case Id:
                        continue;
                    case Level:
                        if (!ArchiveEntryReader.TryLevel(value, out level)) return false;
                        continue;
                    case Service:
                        service = ArchiveEntryReader.RepeatedText(ref reader);
                        continue;
                    case Ts:
                        if (value.Length != 28 || value[27] != (byte)'Z' || !Utf8Parser.TryParse(value, out DateTime time, out var used, 'O') || used != 28 || time.Kind != DateTimeKind.Utc) return false;
                        ticks = BlockHeader.ToUnixTicks(time);
                        break;
                }

                if (value.Length == 0) continue;
                Key(output, field, ref first);
                output.WriteByte((byte)'"');
                Write(output, value);
                output.WriteByte((byte)'"');
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false;
            if ((seen & (1 << Ts)) == 0 || (seen & (1 << Level)) == 0) return false;
            if (service.Length == 0) service = defaultService ?? string.Empty;
            if (!StorageFormat.IsValidServiceName(service)) return false;
            output.WriteByte((byte)'}');
            return true;
        }

        /// <summary>The properties' text, when it is one JSON object on one line of plain UTF-8, as the object itself; false for any other text.</summary>
        [MethodImpl(HotPath.Options)]
        private static bool TryWriteProperties(ref Utf8JsonReader reader, MemoryStream output, ref bool first)
        {
            var buffer = t_properties;
            if (buffer is null || buffer.Length < reader.ValueSpan.Length) t_properties = buffer = new byte[Math.Max(4096, reader.ValueSpan.Length)];
            var length = reader.CopyString(buffer);
            var text = new ReadOnlySpan<byte>(buffer, 0, length);
            if (text[0] != (byte)'{' || text[length - 1] != (byte)'}' || text.IndexOf((byte)'\n') >= 0 || text.IndexOf((byte)'\r') >= 0 || !IsPlainUtf8(text)) return false;
            var check = new Utf8JsonReader(text, PropertiesOptions);
            if (!check.Read() || !check.TrySkip() || check.Read()) return false;
            Key(output, Properties, ref first);
            Write(output, text);
            return true;
        }

        /// <summary>Valid UTF-8 without control characters (which a writer escapes), so its bytes stand in a JSON string as they are.</summary>
        [MethodImpl(HotPath.Options)]
        private static bool IsPlainUtf8(ReadOnlySpan<byte> text)
        {
#if NET8_0_OR_GREATER
            // Printable ASCII, the common case, in one search; text from the first other byte on then in full.
            var other = text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7e);
            if (other < 0) return true;
            var rest = text.Slice(other);
            return rest.IndexOfAnyInRange((byte)0, (byte)0x1f) < 0 && rest.IndexOf((byte)0x7f) < 0 && System.Text.Unicode.Utf8.IsValid(rest);
#else
            var ascii = true;
            foreach (var b in text)
            {
                if (b < 0x20 || b == 0x7f) return false;
                if (b >= 0x80) ascii = false;
            }

            // Other text is left to the entry's way.
            return ascii;
#endif
        }

        private static void Key(MemoryStream output, int field, ref bool first)
        {
            if (!first) output.WriteByte((byte)',');
            first = false;
            Write(output, Keys[field]);
        }

        private static void Write(MemoryStream output, ReadOnlySpan<byte> bytes)
        {
#if NETSTANDARD2_0
            output.Write(bytes.ToArray(), 0, bytes.Length);
#else
            output.Write(bytes);
#endif
        }
    }
}
