using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// A block's entries as JSON lines, the payload of every codec: one JSON object per entry,
    /// each ended by <c>\n</c>, UTF-8, with the field names of storage format 1 (<c>ts</c>,
    /// <c>category</c>, <c>message</c>, <c>template</c>, <c>eventId</c>, <c>eventName</c>,
    /// <c>exType</c>, <c>exMessage</c>, <c>exStack</c>, <c>traceId</c>, <c>spanId</c>,
    /// <c>host</c>, <c>props</c>). The level and the service are the partition's. A writer leaves
    /// out empty fields and an event id of 0; <c>props</c> is the properties object itself when
    /// its text is one JSON object on one line (kept byte for byte), else a JSON string. A reader
    /// needs <c>ts</c> on every line, skips blank lines and ignores fields it does not know.
    /// </summary>
    internal static class JsonLinesPayload
    {
        // Non-ASCII text stays UTF-8; quotes, backslashes and control characters are escaped, so
        // no value holds a raw line break.
        private static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        };

        // A properties object nests inside the line's object: one level deeper than it was checked at.
        private static readonly JsonReaderOptions ReaderOptions = new JsonReaderOptions { MaxDepth = 2 * PropertiesMaxDepth };
        private static readonly JsonReaderOptions PropertiesCheckOptions = new JsonReaderOptions { MaxDepth = PropertiesMaxDepth };
        private const int PropertiesMaxDepth = 64;

        private static readonly JsonEncodedText Ts = JsonEncodedText.Encode(StorageFormat.TimestampField);
        private static readonly JsonEncodedText Category = JsonEncodedText.Encode(StorageFormat.CategoryField);
        private static readonly JsonEncodedText Message = JsonEncodedText.Encode(StorageFormat.MessageField);
        private static readonly JsonEncodedText Template = JsonEncodedText.Encode(StorageFormat.TemplateField);
        private static readonly JsonEncodedText EventId = JsonEncodedText.Encode(StorageFormat.EventIdField);
        private static readonly JsonEncodedText EventName = JsonEncodedText.Encode(StorageFormat.EventNameField);
        private static readonly JsonEncodedText ExceptionType = JsonEncodedText.Encode(StorageFormat.ExceptionTypeField);
        private static readonly JsonEncodedText ExceptionMessage = JsonEncodedText.Encode(StorageFormat.ExceptionMessageField);
        private static readonly JsonEncodedText Exception = JsonEncodedText.Encode(StorageFormat.ExceptionField);
        private static readonly JsonEncodedText TraceId = JsonEncodedText.Encode(StorageFormat.TraceIdField);
        private static readonly JsonEncodedText SpanId = JsonEncodedText.Encode(StorageFormat.SpanIdField);
        private static readonly JsonEncodedText Host = JsonEncodedText.Encode(StorageFormat.HostField);
        private static readonly JsonEncodedText Properties = JsonEncodedText.Encode(StorageFormat.PropertiesField);

        /// <summary>The fields in the order a writer writes them (an archive line lists them in this order too); readers name them by their positions here.</summary>
        internal static readonly JsonEncodedText[] FieldNames =
        {
            Ts, Category, Message, Template, EventId, EventName, ExceptionType, ExceptionMessage, Exception, TraceId, SpanId, Host, Properties,
        };

        internal const int TsIndex = 0;
        internal const int EventIdIndex = 4;
        internal const int TraceIdIndex = 9;
        internal const int SpanIdIndex = 10;
        internal const int PropertiesIndex = 12;

        /// <summary>Writes the entries, one line each, to <paramref name="output"/>; an entry without a host gets <paramref name="defaultHost"/>.</summary>
        public static void Write(IReadOnlyList<MonarchLogEntry> entries, MemoryStream output, string defaultHost = "")
        {
            using var json = new Utf8JsonWriter(output, WriterOptions);
            foreach (var entry in entries)
            {
                json.Reset(output);
                json.WriteStartObject();
                // "O" of a UTC time is the form of format 1's ts field, 2026-11-28T14:28:07.1234567Z.
                WriteTime(json, entry.Timestamp);
                Text(json, Category, entry.Category);
                Text(json, Message, entry.Message);
                Text(json, Template, entry.Template);
                if (entry.EventId != 0) json.WriteNumber(EventId, entry.EventId);
                Text(json, EventName, entry.EventName);
                Text(json, ExceptionType, entry.ExceptionType);
                Text(json, ExceptionMessage, entry.ExceptionMessage);
                Text(json, Exception, entry.Exception);
                Text(json, TraceId, entry.TraceId);
                Text(json, SpanId, entry.SpanId);
                Text(json, Host, string.IsNullOrEmpty(entry.Host) ? defaultHost : entry.Host);
                if (entry.PlainProperties.IsEmpty)
                {
                    WriteProperties(json, entry.Properties);
                }
                else
                {
                    // A plain object (PropertiesJson.IsPlainObject) goes in as it is.
                    json.WritePropertyName(Properties);
                    json.WriteRawValue(entry.PlainProperties.Span, skipInputValidation: true);
                }

                json.WriteEndObject();
                json.Flush();
                output.WriteByte((byte)'\n');
            }
        }

        /// <summary>
        /// Reads exactly <paramref name="expectedCount"/> entries of <paramref name="partition"/>.
        /// </summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>: a line that is no JSON object, lacks a readable <c>ts</c> or holds a field of the wrong type; another number of lines.</exception>
        public static List<MonarchLogEntry> Read(ReadOnlySpan<byte> payload, int expectedCount, Partition partition)
        {
            var entries = new List<MonarchLogEntry>(expectedCount);
            var line = 0;
            while (payload.Length > 0)
            {
                var end = payload.IndexOf((byte)'\n');
                var text = end < 0 ? payload : payload.Slice(0, end);
                payload = end < 0 ? ReadOnlySpan<byte>.Empty : payload.Slice(end + 1);
                line++;
                if (IsBlank(text)) continue;
                if (entries.Count == expectedCount) throw BlockErrors.Invalid($"its payload holds more entries than its n field says ({expectedCount})");
                entries.Add(ReadLine(text, line, partition));
            }

            if (entries.Count != expectedCount) throw BlockErrors.Invalid($"its payload holds {entries.Count} entries, its n field says {expectedCount}");
            return entries;
        }

        /// <summary>
        /// Checks one line as <see cref="Read"/> does, handing each known field to
        /// <paramref name="fields"/> with the reader on its value (its position in <see cref="FieldNames"/>).
        /// </summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>: no one whole JSON object, invalid JSON or UTF-8, a field of the wrong type.</exception>
        internal static void Scan<T>(ReadOnlySpan<byte> line, int number, ref T fields)
            where T : struct, IFieldReader
        {
            try
            {
                var reader = new Utf8JsonReader(line, ReaderOptions);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw BlockErrors.Invalid($"line {number} of its payload is not a JSON object");
                var next = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var field = FieldOf(ref reader, next);
                    next = field + 1;
                    if (!reader.Read()) break;
                    if (field < 0) reader.Skip();
                    else fields.Read(field, ref reader, line, number);
                }

                if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0) throw BlockErrors.Invalid($"line {number} of its payload is not one whole JSON object");
                if (reader.Read()) throw BlockErrors.Invalid($"line {number} of its payload holds more than one JSON value");
            }
            catch (JsonException ex)
            {
                throw BlockErrors.Invalid($"line {number} of its payload is not valid JSON ({StoreErrors.FirstLine(ex.Message)})", ex);
            }
            catch (InvalidOperationException ex)
            {
                // A string that is not valid UTF-8 fails only when it is read as text.
                throw BlockErrors.Invalid($"line {number} of its payload holds text that is not valid UTF-8", ex);
            }
        }

        /// <summary>What a reader of lines does with the value of each known field.</summary>
        internal interface IFieldReader
        {
            /// <summary>The reader is on the value of field <paramref name="field"/> (its position in <see cref="FieldNames"/>) of line <paramref name="number"/>.</summary>
            void Read(int field, ref Utf8JsonReader reader, ReadOnlySpan<byte> line, int number);
        }

        /// <summary>The entry of one line of a payload (its number, from 1, for errors), as <see cref="Read"/> reads it.</summary>
        internal static MonarchLogEntry ReadLine(ReadOnlySpan<byte> line, int number, Partition partition)
        {
            var fields = new EntryFields { Values = new string[FieldNames.Length] };
            Scan(line, number, ref fields);
            var values = fields.Values;
            if (values[TsIndex] is not { } ts) throw BlockErrors.Invalid($"line {number} of its payload has no ts field");
            string Text(int field) => values[field] ?? string.Empty;
            return new MonarchLogEntry
            {
                Timestamp = ParseTime(ts, number),
                Level = partition.Level,
                Service = partition.Service,
                Category = Text(1),
                Message = Text(2),
                Template = Text(3),
                EventId = fields.EventId,
                EventName = Text(5),
                ExceptionType = Text(6),
                ExceptionMessage = Text(7),
                Exception = Text(8),
                TraceId = Text(9),
                SpanId = Text(10),
                Host = Text(11),
                Properties = Text(12),
            };
        }

        /// <summary>The fields of one line as text, for an entry.</summary>
        private struct EntryFields : IFieldReader
        {
            public string?[] Values;
            public int EventId;

            public void Read(int field, ref Utf8JsonReader reader, ReadOnlySpan<byte> line, int number)
            {
                if (field == EventIdIndex) EventId = Int(ref reader, number);
                else if (field == PropertiesIndex) Values[field] = PropertiesValue(ref reader, line);
                else Values[field] = String(ref reader, number, FieldNames[field]);
            }
        }

        /// <summary>
        /// The position of the property name the reader is on in <see cref="FieldNames"/>, -1 for
        /// an unknown one; <paramref name="hint"/> is tried first, as lines list their fields in order.
        /// </summary>
        private static int FieldOf(ref Utf8JsonReader reader, int hint)
        {
            if (hint < FieldNames.Length && reader.ValueTextEquals(FieldNames[hint].EncodedUtf8Bytes)) return hint;
            for (var i = 0; i < FieldNames.Length; i++)
            {
                if (reader.ValueTextEquals(FieldNames[i].EncodedUtf8Bytes)) return i;
            }

            return -1;
        }

        internal static bool IsBlank(ReadOnlySpan<byte> line)
        {
            foreach (var b in line)
            {
                if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r') return false;
            }

            return true;
        }

        internal static string String(ref Utf8JsonReader reader, int line, JsonEncodedText field)
        {
            if (reader.TokenType == JsonTokenType.Null) return string.Empty;
            if (reader.TokenType != JsonTokenType.String) throw BlockErrors.Invalid($"the {field} field on line {line} of its payload is not a JSON string");
            return reader.GetString() ?? string.Empty;
        }

        internal static int Int(ref Utf8JsonReader reader, int line)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number)) return number;
            if (reader.TokenType == JsonTokenType.String && int.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number)) return number;
            throw BlockErrors.Invalid($"the {StorageFormat.EventIdField} field on line {line} of its payload is not a whole number of 32 bits");
        }

        /// <summary>A string's value; any other JSON value (the object the writer stores) as its exact text.</summary>
        internal static string PropertiesValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> line)
        {
            if (reader.TokenType == JsonTokenType.String) return reader.GetString() ?? string.Empty;
            if (reader.TokenType == JsonTokenType.Null) return string.Empty;
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var end = (int)reader.BytesConsumed;
            return Encoding.UTF8.GetString(line.Slice(start, end - start).ToArray());
        }

        internal static DateTime ParseTime(string text, int line)
        {
            if (StorageFormat.TryParseRoundTrip(text, out var exact)) return exact;
            if (text.Length > 0 && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            }

            throw BlockErrors.Invalid($"the ts field '{DisplayText.Quote(text)}' on line {line} of its payload is not a time");
        }

        /// <summary>"O" of a UTC time, the form of format 1's ts field: 2026-11-28T14:28:07.1234567Z.</summary>
        private static void WriteTime(Utf8JsonWriter json, DateTime timestamp)
        {
            var utc = BlockHeader.AsUtc(timestamp);
#if NETSTANDARD2_0
            json.WriteString(Ts, utc.ToString("O", CultureInfo.InvariantCulture));
#else
            Span<char> text = stackalloc char[40];
            if (utc.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture)) json.WriteString(Ts, text.Slice(0, written));
            else json.WriteString(Ts, utc.ToString("O", CultureInfo.InvariantCulture));
#endif
        }

        private static void Text(Utf8JsonWriter json, JsonEncodedText name, string value)
        {
            if (value.Length > 0) json.WriteString(name, PropertiesJson.WellFormed(value));
        }

        /// <summary>The object itself when its text is one JSON object on one line, so its quotes need no escapes; else the text as a string.</summary>
        private static void WriteProperties(Utf8JsonWriter json, string properties)
        {
            if (properties.Length == 0) return;
            var text = PropertiesJson.WellFormed(properties);
            if (text[0] == '{' && text[text.Length - 1] == '}' && text.IndexOf('\n') < 0 && text.IndexOf('\r') < 0)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
                try
                {
                    var utf8 = new ReadOnlySpan<byte>(buffer, 0, Encoding.UTF8.GetBytes(text, 0, text.Length, buffer, 0));
                    if (IsOneJsonValue(utf8))
                    {
                        json.WritePropertyName(Properties);
                        json.WriteRawValue(utf8, skipInputValidation: true);
                        return;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            json.WriteString(Properties, text);
        }

        private static bool IsOneJsonValue(ReadOnlySpan<byte> utf8)
        {
            try
            {
                var reader = new Utf8JsonReader(utf8, PropertiesCheckOptions);
                return reader.Read() && reader.TrySkip() && !reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }
}
