using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The tokens a block's Bloom filter holds for each entry, so that an exact-match filter can
    /// skip a block without opening it. Text that the filters compare ignoring case is upper-cased
    /// with the invariant culture (the mapping .NET's OrdinalIgnoreCase compares by):
    /// <list type="bullet">
    /// <item><c>trace:&lt;TRACE ID&gt;</c>, <c>span:&lt;SPAN ID&gt;</c> when not empty;</item>
    /// <item><c>event:&lt;id&gt;</c> (decimal), and <c>event:&lt;EVENT NAME&gt;</c> when not empty;</item>
    /// <item><c>cat:&lt;CATEGORY&gt;</c>; <c>exc:&lt;EXCEPTION TYPE&gt;</c> when not empty;</item>
    /// <item><c>prop:&lt;NAME&gt;=&lt;VALUE&gt;</c> for every scalar value of the properties object:
    /// a nested value under its dotted path (<c>CUSTOMER.ID</c>), each item of an array under the
    /// array's name. A text value gives its upper-cased text, and also the canonical number when it
    /// reads as one and <c>TRUE</c>/<c>FALSE</c> when it reads as a boolean; a number gives its
    /// written form and its canonical form (<see cref="CanonicalNumber"/>); a boolean gives
    /// <c>TRUE</c> or <c>FALSE</c>. Values longer than <see cref="MaxValueLength"/> characters are
    /// not indexed: a reader looking for such a value opens the block.</item>
    /// </list>
    /// </summary>
    internal static class BlockTokens
    {
        /// <summary>The longest property value (in UTF-16 characters) that is indexed.</summary>
        public const int MaxValueLength = 256;

        /// <summary>How deep into nested objects the properties are indexed.</summary>
        public const int MaxDepth = 8;

        public static string Trace(string traceId) => "trace:" + Upper(traceId);

        public static string Span(string spanId) => "span:" + Upper(spanId);

        public static string EventId(int eventId) => "event:" + eventId.ToString(CultureInfo.InvariantCulture);

        public static string EventName(string name) => "event:" + Upper(name);

        public static string Category(string category) => "cat:" + Upper(category);

        public static string ExceptionType(string type) => "exc:" + Upper(type);

        /// <summary>The token of a property value as a filter gives it: the name as written (a dotted path), the value's canonical text.</summary>
        public static string Property(string name, string canonicalValue) => "prop:" + Upper(name) + "=" + canonicalValue;

        /// <summary>The canonical text of a text value: upper-cased.</summary>
        public static string TextValue(string text) => Upper(text);

        /// <summary>
        /// The canonical text of a number: the decimal value without trailing zeros and without an
        /// exponent, invariant (<c>4711.0</c>, <c>4.711E3</c> and <c>"4711"</c> all give <c>4711</c>);
        /// null when the text is no number a decimal holds.
        /// </summary>
        public static string? CanonicalNumber(string text)
        {
            if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
            // Dividing by 1 with 28 decimal places drops the trailing zeros of the scale.
            var normalized = value / 1.0000000000000000000000000000m;
            return normalized == 0 ? "0" : normalized.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>Adds the tokens of one entry to <paramref name="tokens"/>.</summary>
        public static void Collect(MonarchLogEntry entry, ISet<string> tokens)
        {
            if (entry.TraceId.Length > 0) tokens.Add(Trace(entry.TraceId));
            if (entry.SpanId.Length > 0) tokens.Add(Span(entry.SpanId));
            tokens.Add(EventId(entry.EventId));
            if (entry.EventName.Length > 0) tokens.Add(EventName(entry.EventName));
            if (entry.Category.Length > 0) tokens.Add(Category(entry.Category));
            if (entry.ExceptionType.Length > 0) tokens.Add(ExceptionType(entry.ExceptionType));
            // The stored text: lone surrogates, which JSON cannot carry, are U+FFFD there.
            if (entry.Properties.Length > 0 && entry.Properties[0] == '{') CollectProperties(PropertiesJson.WellFormed(entry.Properties), tokens);
        }

        private static void CollectProperties(string properties, ISet<string> tokens)
        {
            try
            {
                using var document = JsonDocument.Parse(properties);
                if (document.RootElement.ValueKind == JsonValueKind.Object) CollectObject(document.RootElement, string.Empty, tokens, 0);
            }
            catch (JsonException)
            {
                // Properties that are not JSON hold no named property: no filter can match them.
            }
        }

        private static void CollectObject(JsonElement element, string path, ISet<string> tokens, int depth)
        {
            foreach (var property in element.EnumerateObject())
            {
                var name = path.Length == 0 ? property.Name : path + "." + property.Name;
                CollectValue(property.Value, name, tokens, depth, inArray: false);
            }
        }

        private static void CollectValue(JsonElement value, string name, ISet<string> tokens, int depth, bool inArray)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object when depth < MaxDepth && !inArray:
                    CollectObject(value, name, tokens, depth + 1);
                    break;
                case JsonValueKind.Array when !inArray:
                    // A filter matches an array by one of its items; arrays inside arrays never match.
                    foreach (var item in value.EnumerateArray()) CollectValue(item, name, tokens, depth, inArray: true);
                    break;
                case JsonValueKind.String:
                    var text = value.GetString() ?? string.Empty;
                    if (text.Length > MaxValueLength) break;
                    tokens.Add(Property(name, TextValue(text)));
                    if (CanonicalNumber(text) is { } number) tokens.Add(Property(name, number));
                    if (bool.TryParse(text.Trim(), out var flag)) tokens.Add(Property(name, flag ? "TRUE" : "FALSE"));
                    break;
                case JsonValueKind.Number:
                    var written = value.GetRawText();
                    if (written.Length > MaxValueLength) break;
                    tokens.Add(Property(name, TextValue(written)));
                    if (CanonicalNumber(written) is { } canonical) tokens.Add(Property(name, canonical));
                    break;
                case JsonValueKind.True:
                    tokens.Add(Property(name, "TRUE"));
                    break;
                case JsonValueKind.False:
                    tokens.Add(Property(name, "FALSE"));
                    break;
            }
        }

        private static string Upper(string text) => text.ToUpperInvariant();
    }
}
