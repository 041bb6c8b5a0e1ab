using System;
using System.Buffers.Text;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// The fast way through an import file's most common line, an archive entry as an export writes
    /// it: one pass of a JSON reader over the line's bytes, no document. It reads only lines that it
    /// can read to the same entry as <see cref="ArchiveFormat.ReadEntry"/>; any other line (a header,
    /// a console log line, a field name written with escapes or given twice, a value of an unusual
    /// kind, anything wrong) it leaves to the general reader, which says what is wrong with it, so
    /// that an entry and a problem read the same whichever way they were read.
    /// </summary>
    internal static class ArchiveEntryReader
    {
        private static readonly JsonReaderOptions Options = new JsonReaderOptions { MaxDepth = 256 };

        // The fields in the order an export writes them; a field's position is its bit in the set of fields seen.
        private const int Id = 0, Ts = 1, Level = 2, Service = 3, Category = 4, Message = 5, Template = 6, EventId = 7, EventName = 8;
        private const int ExceptionType = 9, ExceptionMessage = 10, Exception = 11, TraceId = 12, SpanId = 13, Host = 14, Properties = 15;
        private const int Unknown = -1, Refused = -2;

        /// <summary>Reads <paramref name="line"/> as an archive entry; false leaves the line to the general reader.</summary>
        public static bool TryRead(ReadOnlySpan<byte> line, string? defaultService, out MonarchLogEntry entry)
        {
            entry = null!;
            try
            {
                return TryReadEntry(line, defaultService, out entry);
            }
            catch (JsonException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                // Text that is not valid UTF-8: the general reader tells.
                return false;
            }
        }

        private static bool TryReadEntry(ReadOnlySpan<byte> line, string? defaultService, out MonarchLogEntry entry)
        {
            entry = null!;
            var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(Options));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            var texts = new string[Properties + 1];
            var seen = 0;
            var expected = 0;
            var timestamp = default(DateTime);
            var level = default(MonarchLogLevel);
            var eventId = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueIsEscaped ? Refused : FieldOf(reader.ValueSpan, expected);
                if (field == Refused) return false;
                expected = field + 1;
                reader.Read();
                if (field == Unknown)
                {
                    reader.Skip();
                    continue;
                }

                if ((seen & (1 << field)) != 0) return false;
                seen |= 1 << field;
                switch (field)
                {
                    case Ts:
                        if (reader.TokenType != JsonTokenType.String || !TryReadTime(ref reader, out timestamp)) return false;
                        break;
                    case Level:
                        if (reader.TokenType != JsonTokenType.String || !TryReadLevel(ref reader, out level)) return false;
                        break;
                    case EventId:
                        if (reader.TokenType == JsonTokenType.Number ? !reader.TryGetInt32(out eventId)
                            : reader.TokenType != JsonTokenType.String || !int.TryParse(reader.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out eventId))
                        {
                            return false;
                        }

                        break;
                    default:
                        if (reader.TokenType == JsonTokenType.String) texts[field] = Repeats(field) ? RepeatedText(ref reader) : reader.GetString()!;
                        else if (reader.TokenType != JsonTokenType.Null) return false;
                        break;
                }
            }

            // The object must end the line, and the entry needs its time and level.
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false;
            if ((seen & (1 << Ts)) == 0 || (seen & (1 << Level)) == 0) return false;
            var service = texts[Service] ?? string.Empty;
            if (service.Length == 0) service = defaultService ?? string.Empty;
            if (!StorageFormat.IsValidServiceName(service)) return false;
            entry = new MonarchLogEntry
            {
                Id = texts[Id] ?? string.Empty,
                Timestamp = timestamp,
                Level = level,
                Service = service,
                Category = texts[Category] ?? string.Empty,
                Message = texts[Message] ?? string.Empty,
                Template = texts[Template] ?? string.Empty,
                EventId = eventId,
                EventName = texts[EventName] ?? string.Empty,
                ExceptionType = texts[ExceptionType] ?? string.Empty,
                ExceptionMessage = texts[ExceptionMessage] ?? string.Empty,
                Exception = texts[Exception] ?? string.Empty,
                TraceId = texts[TraceId] ?? string.Empty,
                SpanId = texts[SpanId] ?? string.Empty,
                Host = texts[Host] ?? string.Empty,
                Properties = texts[Properties] ?? string.Empty,
            };
            return true;
        }

        /// <summary>Fields whose values repeat from entry to entry (a service's few categories and templates).</summary>
        private static bool Repeats(int field) =>
            field == Service || field == Category || field == Template || field == EventName || field == ExceptionType || field == Host;

        [ThreadStatic]
        private static RepeatedTexts? t_repeated;

        /// <summary>The text of a repeating field's value (a service, a category), shared with the entries read before it on this thread.</summary>
        internal static string RepeatedText(ref Utf8JsonReader reader) => (t_repeated ??= new RepeatedTexts()).Read(ref reader);

        /// <summary>The same for a value's bytes, valid UTF-8 without escapes.</summary>
        internal static string RepeatedText(ReadOnlySpan<byte> bytes) => (t_repeated ??= new RepeatedTexts()).Read(bytes);

        /// <summary>
        /// The texts of repeating fields read last on this thread, by their bytes: an entry whose
        /// value has the same bytes shares the string, so a batch of entries holds each such text once.
        /// </summary>
        private sealed class RepeatedTexts
        {
            private const int Slots = 64;
            private const int MostBytes = 256;
            private readonly byte[]?[] _bytes = new byte[Slots][];
            private readonly string[] _texts = new string[Slots];

            public string Read(ref Utf8JsonReader reader)
            {
                var bytes = reader.ValueSpan;
                if (reader.ValueIsEscaped || bytes.Length > MostBytes) return reader.GetString()!;
                var slot = Slot(bytes);
                // A miss reads the text as the JSON reader reads it (which refuses bytes that are not UTF-8).
                return _bytes[slot] is { } known && bytes.SequenceEqual(known) ? _texts[slot] : Keep(slot, bytes, reader.GetString()!);
            }

            /// <summary>The same for bytes that are valid UTF-8.</summary>
            public string Read(ReadOnlySpan<byte> bytes)
            {
                if (bytes.Length > MostBytes) return Encoding.UTF8.GetString(bytes.ToArray());
                var slot = Slot(bytes);
                return _bytes[slot] is { } known && bytes.SequenceEqual(known) ? _texts[slot] : Keep(slot, bytes, Encoding.UTF8.GetString(bytes.ToArray()));
            }

            private static int Slot(ReadOnlySpan<byte> bytes)
            {
                var hash = 2166136261u;
                foreach (var b in bytes) hash = (hash ^ b) * 16777619u;
                return (int)(hash % Slots);
            }

            private string Keep(int slot, ReadOnlySpan<byte> bytes, string text)
            {
                _bytes[slot] = bytes.ToArray();
                _texts[slot] = text;
                return text;
            }
        }

        /// <summary>The time as the archive writes it (<see cref="ArchiveFormat.FormatTime"/>) read from the bytes; any other form through <see cref="ArchiveFormat.TryParseTime"/>.</summary>
        private static bool TryReadTime(ref Utf8JsonReader reader, out DateTime utc)
        {
            var bytes = reader.ValueSpan;
            if (!reader.ValueIsEscaped && bytes.Length == 28 && bytes[27] == (byte)'Z'
                && Utf8Parser.TryParse(bytes, out DateTime exact, out var used, 'O') && used == 28 && exact.Kind == DateTimeKind.Utc)
            {
                utc = exact;
                return true;
            }

            return ArchiveFormat.TryParseTime(reader.GetString(), out utc);
        }

        private static bool TryReadLevel(ref Utf8JsonReader reader, out MonarchLogLevel level) =>
            (!reader.ValueIsEscaped && TryLevel(reader.ValueSpan, out level)) || LogLevels.TryParse(reader.GetString(), out level);

        /// <summary>The level whose storage name <paramref name="bytes"/> are, exactly.</summary>
        internal static bool TryLevel(ReadOnlySpan<byte> bytes, out MonarchLogLevel level)
        {
            foreach (var candidate in LogLevels.All)
            {
                if (bytes.SequenceEqual(StorageNames[(int)candidate]))
                {
                    level = candidate;
                    return true;
                }
            }

            level = default;
            return false;
        }

        private static readonly byte[][] StorageNames = BuildStorageNames();

        private static byte[][] BuildStorageNames()
        {
            var names = new byte[8][];
            foreach (var level in LogLevels.All) names[(int)level] = Encoding.UTF8.GetBytes(LogLevels.StorageName(level));
            return names;
        }

        /// <summary>The field <paramref name="name"/> names; <paramref name="expected"/> (the one after the last, as an export writes them) is tried first.</summary>
        internal static int FieldOf(ReadOnlySpan<byte> name, int expected)
        {
            if (expected < FieldNames.Length && name.SequenceEqual(FieldNames[expected])) return expected;
            for (var field = 0; field < FieldNames.Length; field++)
            {
                if (name.SequenceEqual(FieldNames[field])) return field;
            }

            // A header's marker: the general reader's.
            return name.SequenceEqual(MarkerName) ? Refused : Unknown;
        }

        internal static readonly byte[][] FieldNames = new[]
        {
            ArchiveFormat.IdField, StorageFormat.TimestampField, StorageFormat.LevelField, StorageFormat.ServiceField, StorageFormat.CategoryField,
            StorageFormat.MessageField, StorageFormat.TemplateField, StorageFormat.EventIdField, StorageFormat.EventNameField, StorageFormat.ExceptionTypeField,
            StorageFormat.ExceptionMessageField, StorageFormat.ExceptionField, StorageFormat.TraceIdField, StorageFormat.SpanIdField, StorageFormat.HostField,
            StorageFormat.PropertiesField,
        }.Select(Encoding.UTF8.GetBytes).ToArray();

        private static readonly byte[] MarkerName = Encoding.UTF8.GetBytes(ArchiveFormat.MarkerField);
    }
}
