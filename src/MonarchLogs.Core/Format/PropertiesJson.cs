using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace MonarchLogs.Core.Format
{
    /// <summary>
    /// Writes the <c>props</c> field of the storage format: one JSON object of named values, and
    /// the scopes that are not key/value pairs as text in an array under <c>"Scope"</c>. The logging
    /// provider, Write-MonarchLog and the import of console logs all go through here, so an entry
    /// has the same properties whichever way it came in.
    /// </summary>
    public static class PropertiesJson
    {
        /// <summary>The name of the array that holds the scopes that are not key/value pairs.</summary>
        public const string ScopeName = "Scope";

        /// <summary>How deep nested objects and arrays go; deeper values are written as their text.</summary>
        public const int MaxDepth = 16;

        /// <summary>
        /// The props JSON object, or the empty string when there is nothing to write. A name given
        /// twice is written once, where it first appeared, with its last value (an inner scope,
        /// then the state, wins). Values: null, strings, booleans, numbers, times and GUIDs as
        /// scalars; dictionaries as objects; other sequences as arrays; a <see cref="JsonElement"/>
        /// as it is; anything else as its text. The caller owns <paramref name="buffer"/> and
        /// <paramref name="json"/> and may reuse them for every entry, on one thread.
        /// </summary>
        public static string Write(IReadOnlyList<KeyValuePair<string, object?>>? properties, IReadOnlyList<string>? scopes, MemoryStream buffer, Utf8JsonWriter json)
        {
            if (buffer is null) throw new ArgumentNullException(nameof(buffer));
            if (json is null) throw new ArgumentNullException(nameof(json));
            var length = WriteUtf8(properties, scopes, buffer, json);
            return length == 0 ? string.Empty : Encoding.UTF8.GetString(buffer.GetBuffer(), 0, length);
        }

        /// <summary>
        /// As <see cref="Write(IReadOnlyList{KeyValuePair{string, object}}, IReadOnlyList{string}, MemoryStream, Utf8JsonWriter)"/>,
        /// leaving the object's UTF-8 bytes at the start of <paramref name="buffer"/>: their length, 0 when there is nothing.
        /// </summary>
        internal static int WriteUtf8(IReadOnlyList<KeyValuePair<string, object?>>? properties, IReadOnlyList<string>? scopes, MemoryStream buffer, Utf8JsonWriter json)
        {
            if ((properties is null || properties.Count == 0) && (scopes is null || scopes.Count == 0)) return 0;
            buffer.SetLength(0);
            json.Reset(buffer);
            json.WriteStartObject();
            if (properties is not null)
            {
                // By index: an enumerator through the interface would be one more object per entry.
                var named = HasRepeatedNames(properties) ? Deduplicate(properties) : properties;
                for (var i = 0; i < named.Count; i++)
                {
                    var property = named[i];
                    json.WritePropertyName(WellFormed(property.Key ?? string.Empty));
                    WriteValue(json, property.Value, 0);
                }
            }

            if (scopes is { Count: > 0 })
            {
                json.WriteStartArray(ScopeName);
                foreach (var scope in scopes) json.WriteStringValue(WellFormed(scope));
                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.Flush();
            return (int)buffer.Length;
        }

        /// <summary>
        /// Whether <paramref name="utf8"/> is a plain properties object: one JSON object of printable
        /// ASCII whose strings hold no escapes, as the block format's one-pass line reader takes it
        /// (<see cref="Blocks.WriterLine"/>). What a JSON writer with the default encoder writes
        /// usually is. A block holds such an object as it is, and finds its tokens without a JSON reader.
        /// </summary>
        internal static bool IsPlainObject(ReadOnlySpan<byte> utf8) =>
            utf8.Length > 1 && utf8[0] == (byte)'{' && Blocks.WriterLine.SkipValue(utf8, 0, 0) == utf8.Length;

        /// <summary>As above, with a buffer and a writer of its own (for callers that write a few entries).</summary>
        public static string Write(IReadOnlyList<KeyValuePair<string, object?>>? properties, IReadOnlyList<string>? scopes = null)
        {
            using var buffer = new MemoryStream();
            using var json = new Utf8JsonWriter(buffer);
            return Write(properties, scopes, buffer, json);
        }

        /// <summary>Whether the text is one JSON object, the form the props field holds.</summary>
        public static bool IsObject(string text)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.ValueKind == JsonValueKind.Object;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static bool HasRepeatedNames(IReadOnlyList<KeyValuePair<string, object?>> properties)
        {
            // A handful of names are compared pairwise; more go through a set, so that an entry
            // with thousands of properties costs time in proportion to their number.
            if (properties.Count > 8)
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < properties.Count; i++)
                {
                    if (!names.Add(properties[i].Key ?? string.Empty)) return true;
                }

                return false;
            }

            for (var i = 1; i < properties.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (string.Equals(properties[i].Key, properties[j].Key, StringComparison.Ordinal)) return true;
                }
            }

            return false;
        }

        /// <summary>The text with lone surrogates (which JSON cannot carry) replaced by U+FFFD.</summary>
        public static string WellFormed(string text)
        {
#if NET8_0_OR_GREATER
            // Most text holds no surrogate at all: one vectorized search says so.
            var first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
            if (first < 0) return text;
#else
            const int first = 0;
#endif
            for (var i = first; i < text.Length; i++)
            {
                var c = text[i];
                if (!char.IsSurrogate(c)) continue;
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }

                var chars = text.ToCharArray();
                for (var j = i; j < chars.Length; j++)
                {
                    if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1])) j++;
                    else if (char.IsSurrogate(chars[j])) chars[j] = '\uFFFD';
                }

                return new string(chars);
            }

            return text;
        }

        /// <summary>Each name once, where it first appeared, with its last value.</summary>
        private static List<KeyValuePair<string, object?>> Deduplicate(IReadOnlyList<KeyValuePair<string, object?>> properties)
        {
            var result = new List<KeyValuePair<string, object?>>(properties.Count);
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var property in properties)
            {
                if (index.TryGetValue(property.Key ?? string.Empty, out var at))
                {
                    result[at] = property;
                }
                else
                {
                    index[property.Key ?? string.Empty] = result.Count;
                    result.Add(property);
                }
            }

            return result;
        }

        private static void WriteValue(Utf8JsonWriter json, object? value, int depth)
        {
            switch (value)
            {
                case null: json.WriteNullValue(); break;
                case string s: json.WriteStringValue(WellFormed(s)); break;
                case bool b: json.WriteBooleanValue(b); break;
                case int i: json.WriteNumberValue(i); break;
                case long l: json.WriteNumberValue(l); break;
                case short s: json.WriteNumberValue(s); break;
                case byte b: json.WriteNumberValue(b); break;
                case sbyte b: json.WriteNumberValue(b); break;
                case ushort s: json.WriteNumberValue(s); break;
                case uint u: json.WriteNumberValue(u); break;
                case ulong u: json.WriteNumberValue(u); break;
                case decimal d: json.WriteNumberValue(d); break;
                case double d when !double.IsNaN(d) && !double.IsInfinity(d): json.WriteNumberValue(d); break;
                case float f when !float.IsNaN(f) && !float.IsInfinity(f): json.WriteNumberValue(f); break;
                case DateTime dt: json.WriteStringValue(dt); break;
                case DateTimeOffset dto: json.WriteStringValue(dto); break;
                case Guid g: json.WriteStringValue(g); break;
                case TimeSpan ts: json.WriteStringValue(ts.ToString("c", CultureInfo.InvariantCulture)); break;
                case JsonElement element: element.WriteTo(json); break;
                case object?[] items when depth < MaxDepth:
                    json.WriteStartArray();
                    foreach (var item in items) WriteValue(json, item, depth + 1);
                    json.WriteEndArray();
                    break;
                case IDictionary dictionary when depth < MaxDepth:
                    json.WriteStartObject();
                    foreach (DictionaryEntry pair in dictionary)
                    {
                        json.WritePropertyName(WellFormed(Convert.ToString(pair.Key, CultureInfo.InvariantCulture) ?? string.Empty));
                        WriteValue(json, pair.Value, depth + 1);
                    }

                    json.WriteEndObject();
                    break;
                case IEnumerable sequence when depth < MaxDepth:
                    json.WriteStartArray();
                    foreach (var item in sequence) WriteValue(json, item, depth + 1);
                    json.WriteEndArray();
                    break;
                default: json.WriteStringValue(WellFormed(TextOf(value))); break;
            }
        }

        private static string TextOf(object value)
        {
            try
            {
                return (value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString()) ?? string.Empty;
            }
            catch (Exception ex)
            {
                return $"[{value.GetType().FullName}.ToString() threw {ex.GetType().FullName}]";
            }
        }
    }
}
