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
            if (entry.Properties.Length > 0 && entry.Properties[0] == '{') new PropertyWalk(hasher, hashes).Run(entry.Properties);
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

        private const string TracePrefix = "trace:", SpanPrefix = "span:", EventPrefix = "event:", CategoryPrefix = "cat:", ExceptionPrefix = "exc:", PropertyPrefix = "prop:";

        /// <summary>
        /// Walks a properties object with a JSON reader and hashes a token per scalar value: what
        /// a <see cref="System.Text.Json.JsonDocument"/> walk would find, without building one.
        /// The token's <c>prop:NAME</c> part stays in the hasher's buffer while a value's token is
        /// appended after it and hashed.
        /// </summary>
        private readonly struct PropertyWalk
        {
            private static readonly JsonReaderOptions Options = new JsonReaderOptions { MaxDepth = PropertiesMaxDepth };
            private readonly TokenHasher _hasher;
            private readonly TokenSet _hashes;

            public PropertyWalk(TokenHasher hasher, TokenSet hashes)
            {
                _hasher = hasher;
                _hashes = hashes;
            }

            // The stored text: lone surrogates, which JSON cannot carry, are U+FFFD there.
            public void Run(string properties) => Run(_hasher.Utf8Of(PropertiesJson.WellFormed(properties)));

            public void Run(ReadOnlySpan<byte> utf8)
            {
                var reader = new Utf8JsonReader(utf8, Options);
                try
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
                    _hasher.Start(PropertyPrefix);
                    Object(ref reader, 0);
                }
                catch (JsonException)
                {
                    // Properties that are not JSON hold no named property: no filter can match them.
                }
                catch (InvalidOperationException)
                {
                    // Text that is not valid UTF-8 (a string a reader could not read either).
                }
            }

            public void RunInPlace(ref Utf8JsonReader reader)
            {
                _hasher.Start(PropertyPrefix);
                Object(ref reader, 0);
            }

            /// <summary>The members of the object the reader is on; the buffer holds <c>prop:</c> and the path so far.</summary>
            private void Object(ref Utf8JsonReader reader, int depth)
            {
                var path = _hasher.Length;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    _hasher.Length = path;
                    if (path > PropertyPrefix.Length) _hasher.Append('.');
                    AppendUpperString(ref reader);
                    reader.Read();
                    Value(ref reader, depth, inArray: false);
                }

                _hasher.Length = path;
            }

            private void Value(ref Utf8JsonReader reader, int depth, bool inArray)
            {
                var name = _hasher.Length;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject when depth < MaxDepth && !inArray:
                        Object(ref reader, depth + 1);
                        break;
                    case JsonTokenType.StartArray when !inArray:
                        // A filter matches an array by one of its items; arrays inside arrays never match.
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) Value(ref reader, depth, inArray: true);
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        reader.Skip();
                        break;
                    case JsonTokenType.String:
                        // A value longer than MaxValueLength chars is not indexed; "\uXXXX" is the longest escape.
                        var raw = reader.ValueSpan;
                        if (raw.Length > MaxValueLength * 6) break;
                        _hasher.Append('=');
                        if (!reader.ValueIsEscaped && TokenHasher.IsAscii(raw))
                        {
                            // The common case: the bytes are the chars.
                            if (raw.Length > MaxValueLength) break;
                            _hasher.AppendUpperAscii(raw);
                            _hashes.Add(_hasher.Hash());
                            if (!MayBeNumberOrBoolean(raw)) break;
                            Span<char> ascii = stackalloc char[raw.Length];
                            for (var i = 0; i < raw.Length; i++) ascii[i] = (char)raw[i];
                            AddTextForms(name, ascii);
                            break;
                        }

                        var chars = _hasher.Chars(raw.Length);
                        var length = reader.CopyString(chars);
                        if (length > MaxValueLength) break;
                        var text = chars.Slice(0, length);
                        _hasher.AppendUpper(text);
                        _hashes.Add(_hasher.Hash());
                        AddTextForms(name, text);
                        break;
                    case JsonTokenType.Number:
                        var written = reader.ValueSpan;
                        if (written.Length > MaxValueLength) break;
                        _hasher.Append('=');
                        _hasher.AppendUpperAscii(written);
                        _hashes.Add(_hasher.Hash());
                        // A whole number's canonical form is its decimal digits (the token just
                        // hashed, when it is written so); only fractions need the decimal.
                        if (IsCanonicalWhole(written)) break;
                        if (reader.TryGetInt64(out var whole)) Add(name, whole.ToString(CultureInfo.InvariantCulture));
                        else if (reader.TryGetDecimal(out var value)) Add(name, CanonicalNumber(value));
                        break;
                    case JsonTokenType.True:
                        Add(name, "TRUE");
                        break;
                    case JsonTokenType.False:
                        Add(name, "FALSE");
                        break;
                }

                _hasher.Length = name;
            }

            private void Add(int name, string value)
            {
                _hasher.Length = name;
                _hashes.Add(_hasher.Append('=').Append(value.AsSpan()).Hash());
            }

            private void AppendUpperString(ref Utf8JsonReader reader) => _hasher.AppendUpperString(ref reader, int.MaxValue);

            /// <summary>The number and boolean tokens a text value also gives (its text as the reader gave it, not upper-cased).</summary>
            private void AddTextForms(int name, ReadOnlySpan<char> text)
            {
                if (MayBeNumber(text) && TryParseDecimal(text, out var number)) Add(name, CanonicalNumber(number));
                if (IsBoolean(text, out var flag)) Add(name, flag ? "TRUE" : "FALSE");
            }

            /// <summary>
            /// Whether an unescaped ASCII text value may read as a number or a boolean: its first
            /// char that is neither white space nor a null is a sign, a point, a digit, t or f.
            /// </summary>
            private static bool MayBeNumberOrBoolean(ReadOnlySpan<byte> ascii)
            {
                foreach (var b in ascii)
                {
                    if (b == (byte)' ' || (b >= 0x09 && b <= 0x0D) || b == 0) continue;
                    return b == (byte)'-' || b == (byte)'+' || b == (byte)'.' || (b >= (byte)'0' && b <= (byte)'9')
                        || b == (byte)'t' || b == (byte)'T' || b == (byte)'f' || b == (byte)'F';
                }

                return false;
            }

            private static bool TryParseDecimal(ReadOnlySpan<char> text, out decimal number) =>
#if NETSTANDARD2_0
                decimal.TryParse(text.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
#else
                decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
#endif

            /// <summary>Whether a JSON number is written as its canonical form: digits, no leading zero, an optional minus, not -0.</summary>
            private static bool IsCanonicalWhole(ReadOnlySpan<byte> written)
            {
                var digits = written.Length > 0 && written[0] == (byte)'-' ? written.Slice(1) : written;
                if (digits.Length == 0 || digits.Length > 18 || (digits[0] == (byte)'0' && (digits.Length > 1 || digits.Length != written.Length))) return false;
                foreach (var b in digits)
                {
                    if (b < (byte)'0' || b > (byte)'9') return false;
                }

                return true;
            }

            /// <summary>Whether decimal.TryParse with NumberStyles.Float could read the text: its first non-white char is a sign, a digit or a point.</summary>
            private static bool MayBeNumber(ReadOnlySpan<char> text)
            {
                foreach (var c in text)
                {
                    if (char.IsWhiteSpace(c)) continue;
                    return c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9');
                }

                return false;
            }

            /// <summary>What bool.TryParse(text.Trim()) reads: true or false in any case, white space and nulls around it.</summary>
            private static bool IsBoolean(ReadOnlySpan<char> text, out bool value)
            {
                var start = 0;
                var end = text.Length;
                while (start < end && (char.IsWhiteSpace(text[start]) || text[start] == '\0')) start++;
                while (end > start && (char.IsWhiteSpace(text[end - 1]) || text[end - 1] == '\0')) end--;
                var core = text.Slice(start, end - start);
                value = core.Equals("true".AsSpan(), StringComparison.OrdinalIgnoreCase);
                return value || core.Equals("false".AsSpan(), StringComparison.OrdinalIgnoreCase);
            }
        }

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
