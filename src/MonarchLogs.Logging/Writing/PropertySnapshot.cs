using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Makes property values safe to hand to another thread (scalars stay, anything else becomes
    /// its text at log time) and writes them as the storage format's <c>props</c> JSON object.
    /// </summary>
    internal static class PropertySnapshot
    {
        private const int MaxSequenceItems = 64;

        /// <summary>
        /// The value as it is at log time. A value whose ToString() or enumeration throws costs only
        /// itself: it becomes a note of what failed. Sequences keep their first 64 items, so an
        /// endless or self-containing one ends.
        /// </summary>
        public static object? Capture(object? value)
        {
            try
            {
                return CaptureUnchecked(value);
            }
            catch (Exception ex)
            {
                return $"[{value!.GetType().FullName} could not be read: {SafeText.Describe(ex)}]";
            }
        }

        private static object? CaptureUnchecked(object? value)
        {
            switch (value)
            {
                case null: return null;
                case string _: return value;
                case bool _: case char _: case byte _: case sbyte _: case short _: case ushort _:
                case int _: case uint _: case long _: case ulong _: case float _: case double _: case decimal _:
                case DateTime _: case DateTimeOffset _: case TimeSpan _: case Guid _:
                    return value;
                case Enum e: return e.ToString();
                case IEnumerable sequence when !(value is IDictionary):
                    var items = new List<object?>();
                    foreach (var item in sequence)
                    {
                        if (items.Count == MaxSequenceItems) break;
                        items.Add(item is IEnumerable && !(item is string) ? SafeText.ToStringOf(item) : Capture(item));
                    }

                    return items.ToArray();
                case IFormattable formattable:
                    return formattable.ToString(null, CultureInfo.InvariantCulture);
                default:
                    return SafeText.ToStringOf(value);
            }
        }

        /// <summary>
        /// Writes the props JSON object. The writer's one thread owns <paramref name="buffer"/>
        /// and <paramref name="json"/> and reuses them for every entry.
        /// </summary>
        public static string ToJson(List<KeyValuePair<string, object?>>? properties, List<string>? scopes, MemoryStream buffer, Utf8JsonWriter json)
        {
            if ((properties is null || properties.Count == 0) && (scopes is null || scopes.Count == 0)) return string.Empty;
            buffer.SetLength(0);
            json.Reset(buffer);
            json.WriteStartObject();
            if (properties is not null)
            {
                foreach (var property in HasRepeatedNames(properties) ? Deduplicate(properties) : properties)
                {
                    json.WritePropertyName(WellFormed(property.Key ?? string.Empty));
                    WriteValue(json, property.Value);
                }
            }

            if (scopes is { Count: > 0 })
            {
                json.WriteStartArray("Scope");
                foreach (var scope in scopes) json.WriteStringValue(WellFormed(scope));
                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.Flush();
            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }

        private static bool HasRepeatedNames(List<KeyValuePair<string, object?>> properties)
        {
            // A handful of names are compared pairwise; more go through a set, so that an entry
            // with thousands of properties costs time in proportion to their number.
            if (properties.Count > 8)
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in properties)
                {
                    if (!names.Add(property.Key ?? string.Empty)) return true;
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
        internal static string WellFormed(string text)
        {
            for (var i = 0; i < text.Length; i++)
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

        /// <summary>Each name once, where it first appeared, with its last value (an inner scope, then the state, wins).</summary>
        private static List<KeyValuePair<string, object?>> Deduplicate(List<KeyValuePair<string, object?>> properties)
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

        private static void WriteValue(Utf8JsonWriter json, object? value)
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
                case object?[] items:
                    json.WriteStartArray();
                    foreach (var item in items) WriteValue(json, item);
                    json.WriteEndArray();
                    break;
                default: json.WriteStringValue(WellFormed(SafeText.ToStringOf(value))); break;
            }
        }
    }
}
