using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
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
    /// written form and its canonical form (<see cref="CanonicalNumber(string)"/>); a boolean gives
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

        public static string Trace(string traceId) => TracePrefix + Upper(traceId);

        public static string Span(string spanId) => SpanPrefix + Upper(spanId);

        public static string EventId(int eventId) => EventPrefix + eventId.ToString(CultureInfo.InvariantCulture);

        public static string EventName(string name) => EventPrefix + Upper(name);

        public static string Category(string category) => CategoryPrefix + Upper(category);

        public static string ExceptionType(string type) => ExceptionPrefix + Upper(type);

        /// <summary>The token of a property value as a filter gives it: the name as written (a dotted path), the value's canonical text.</summary>
        public static string Property(string name, string canonicalValue) => PropertyPrefix + Upper(name) + "=" + canonicalValue;

        /// <summary>The canonical text of a text value: upper-cased.</summary>
        public static string TextValue(string text) => Upper(text);

        /// <summary>
        /// The canonical text of a number: the decimal value without trailing zeros and without an
        /// exponent, invariant (<c>4711.0</c>, <c>4.711E3</c> and <c>"4711"</c> all give <c>4711</c>);
        /// null when the text is no number a decimal holds.
        /// </summary>
        public static string? CanonicalNumber(string text) =>
            decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? CanonicalNumber(value) : null;

        /// <summary>The canonical text of a number a JSON reader or a decimal parser gave.</summary>
        public static string CanonicalNumber(decimal value)
        {
            // Dividing by 1 with 28 decimal places drops the trailing zeros of the scale.
            var normalized = value / 1.0000000000000000000000000000m;
            return normalized == 0 ? "0" : normalized.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// Adds the hashes (<see cref="BloomFilter.HashOf"/>) of one entry's tokens to
        /// <paramref name="hashes"/>: the same tokens the string forms above make, built in
        /// <paramref name="hasher"/>'s buffer instead of as strings.
        /// </summary>
        public static void Collect(MonarchLogEntry entry, TokenHasher hasher, TokenSet hashes) => Collect(entry, null, hasher, hashes);

        /// <summary>
        /// As <see cref="Collect(MonarchLogEntry, TokenHasher, TokenSet)"/>, for an entry of a
        /// block whose <paramref name="previous"/> entry's tokens are in <paramref name="hashes"/>
        /// already: a field it shares with that entry (the category, the event, the exception type
        /// of a run of alike entries) is not hashed again.
        /// </summary>
        public static void Collect(MonarchLogEntry entry, MonarchLogEntry? previous, TokenHasher hasher, TokenSet hashes)
        {
            if (entry.TraceId.Length > 0 && !Same(entry.TraceId, previous?.TraceId)) hashes.Add(hasher.Start(TracePrefix).AppendUpper(entry.TraceId.AsSpan()).Hash());
            if (entry.SpanId.Length > 0 && !Same(entry.SpanId, previous?.SpanId)) hashes.Add(hasher.Start(SpanPrefix).AppendUpper(entry.SpanId.AsSpan()).Hash());
            if (previous is null || previous.EventId != entry.EventId) hashes.Add(hasher.Start(EventPrefix).Append(entry.EventId).Hash());
            if (entry.EventName.Length > 0 && !Same(entry.EventName, previous?.EventName)) hashes.Add(hasher.Start(EventPrefix).AppendUpper(entry.EventName.AsSpan()).Hash());
            if (entry.Category.Length > 0 && !Same(entry.Category, previous?.Category)) hashes.Add(hasher.Start(CategoryPrefix).AppendUpper(entry.Category.AsSpan()).Hash());
            if (entry.ExceptionType.Length > 0 && !Same(entry.ExceptionType, previous?.ExceptionType)) hashes.Add(hasher.Start(ExceptionPrefix).AppendUpper(entry.ExceptionType.AsSpan()).Hash());
            if (!entry.PlainProperties.IsEmpty) AsciiPropertyWalk.Collect(entry.PlainProperties.Span, hasher, hashes);
            else if (entry.Properties.Length > 0 && entry.Properties[0] == '{') new PropertyWalk(hasher, hashes).Run(entry.Properties);
        }

        /// <summary>The <c>prop:</c> tokens of a properties object given as its UTF-8 text (as a block's line holds it).</summary>
        public static void CollectProperties(ReadOnlySpan<byte> utf8Object, TokenHasher hasher, TokenSet hashes) => new PropertyWalk(hasher, hashes).Run(utf8Object);

        /// <summary>
        /// The <c>prop:</c> tokens of the properties object a reader of a whole line is on (its
        /// start), read in place: the reader ends on the object's end. The reader must refuse
        /// nesting past <see cref="PropertiesMaxDepth"/> levels inside the object, as the walk of
        /// the object alone does. Throws what the reader throws (<see cref="JsonException"/>, and
        /// <see cref="InvalidOperationException"/> for a string that is not valid UTF-8 or UTF-16).
        /// </summary>
        public static void CollectProperties(ref Utf8JsonReader reader, TokenHasher hasher, TokenSet hashes) => new PropertyWalk(hasher, hashes).RunInPlace(ref reader);

        /// <summary>The nesting a properties object may have: deeper, its walk stops where it gets there.</summary>
        public const int PropertiesMaxDepth = 64;

        private static bool Same(string value, string? previous) => ReferenceEquals(value, previous) || string.Equals(value, previous, StringComparison.Ordinal);

        private const string TracePrefix = "trace:", SpanPrefix = "span:", EventPrefix = "event:", CategoryPrefix = "cat:", ExceptionPrefix = "exc:";

        /// <summary>The start of every property value's token.</summary>
        internal const string PropertyPrefix = "prop:";


        /// <summary>Upper-cased char by char with the invariant culture, as OrdinalIgnoreCase compares (a surrogate pair is left as it is).</summary>
        public static string Upper(string text)
        {
            var chars = text.ToCharArray();
            for (var i = 0; i < chars.Length; i++) chars[i] = Upper(chars[i]);
            return new string(chars);
        }

        /// <summary><see cref="char.ToUpperInvariant"/>, with ASCII mapped directly (the invariant culture maps it the same way, ten times slower).</summary>
        public static char Upper(char c) => c < 128 ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c) : char.ToUpperInvariant(c);

    }
}
