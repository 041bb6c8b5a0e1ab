using System;
using System.Globalization;
using System.Text.Json;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Walks a properties object with a JSON reader and hashes a token per scalar value: what
    /// a <see cref="System.Text.Json.JsonDocument"/> walk would find, without building one.
    /// The token's <c>prop:NAME</c> part stays in the hasher's buffer while a value's token is
    /// appended after it and hashed.
    /// </summary>
    internal readonly struct PropertyWalk
    {
        private static readonly JsonReaderOptions Options = new JsonReaderOptions { MaxDepth = BlockTokens.PropertiesMaxDepth };
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
                _hasher.Start(BlockTokens.PropertyPrefix);
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
            _hasher.Start(BlockTokens.PropertyPrefix);
            Object(ref reader, 0);
        }

        /// <summary>The members of the object the reader is on; the buffer holds <c>prop:</c> and the path so far.</summary>
        private void Object(ref Utf8JsonReader reader, int depth)
        {
            var path = _hasher.Length;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                _hasher.Length = path;
                if (path > BlockTokens.PropertyPrefix.Length) _hasher.Append('.');
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
                case JsonTokenType.StartObject when depth < BlockTokens.MaxDepth && !inArray:
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
                    var raw = reader.ValueSpan;
                    if (!reader.ValueIsEscaped && TokenHasher.IsAscii(raw))
                    {
                        // The common case: the bytes are the chars.
                        AsciiText(name, raw);
                        break;
                    }

                    // A value longer than MaxValueLength chars is not indexed; "\uXXXX" is the longest escape.
                    if (raw.Length > BlockTokens.MaxValueLength * 6) break;
                    var chars = _hasher.Chars(raw.Length);
                    var length = reader.CopyString(chars);
                    if (length > BlockTokens.MaxValueLength) break;
                    var text = chars.Slice(0, length);
                    _hasher.Append('=').AppendUpper(text);
                    _hashes.Add(_hasher.Hash());
                    AddTextForms(name, text);
                    break;
                case JsonTokenType.Number:
                    Number(name, reader.ValueSpan);
                    break;
                case JsonTokenType.True:
                case JsonTokenType.False:
                    Boolean(name, reader.TokenType == JsonTokenType.True);
                    break;
            }

            _hasher.Length = name;
        }

        /// <summary>The tokens of a text value of ASCII without escapes (its bytes are its chars), after the name at <paramref name="name"/>.</summary>
        internal void AsciiText(int name, ReadOnlySpan<byte> raw)
        {
            if (raw.Length > BlockTokens.MaxValueLength) return;
            _hasher.Append('=').AppendUpperAscii(raw);
            _hashes.Add(_hasher.Hash());
            if (!MayBeNumberOrBoolean(raw)) return;
            Span<char> ascii = stackalloc char[raw.Length];
            for (var i = 0; i < raw.Length; i++) ascii[i] = (char)raw[i];
            AddTextForms(name, ascii);
        }

        /// <summary>The tokens of a JSON number as written, after the name at <paramref name="name"/>.</summary>
        internal void Number(int name, ReadOnlySpan<byte> written)
        {
            if (written.Length > BlockTokens.MaxValueLength) return;
            _hasher.Append('=').AppendUpperAscii(written);
            _hashes.Add(_hasher.Hash());

            // A whole number's canonical form is its decimal digits (the token just hashed, when
            // it is written so); any other is read as a JSON reader reads the number alone.
            if (IsCanonicalWhole(written)) return;
            var reader = new Utf8JsonReader(written);
            reader.Read();
            if (reader.TryGetInt64(out var whole)) Add(name, whole.ToString(CultureInfo.InvariantCulture));
            else if (reader.TryGetDecimal(out var value)) Add(name, BlockTokens.CanonicalNumber(value));
        }

        /// <summary>The token of <c>true</c> or <c>false</c>, after the name at <paramref name="name"/>.</summary>
        internal void Boolean(int name, bool value) => Add(name, value ? "TRUE" : "FALSE");

        /// <summary>The buffer's token so far (<c>prop:</c> and a path).</summary>
        internal TokenHasher Hasher => _hasher;

        private void Add(int name, string value)
        {
            _hasher.Length = name;
            _hashes.Add(_hasher.Append('=').Append(value.AsSpan()).Hash());
        }

        private void AppendUpperString(ref Utf8JsonReader reader) => _hasher.AppendUpperString(ref reader, int.MaxValue);

        /// <summary>The number and boolean tokens a text value also gives (its text as the reader gave it, not upper-cased).</summary>
        private void AddTextForms(int name, ReadOnlySpan<char> text)
        {
            if (MayBeNumber(text) && TryParseDecimal(text, out var number)) Add(name, BlockTokens.CanonicalNumber(number));
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
}
