using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Which blocks a query can leave closed: the query's exact values as Bloom filter tokens
    /// (docs/storage-format.md, "Skip data: tokens and the Bloom filter"), made by the same
    /// <see cref="BlockTokens"/> builders as the writer's. A block may hold a match unless one of
    /// the query's filters (they combine with AND) has no value (values of one filter combine with
    /// OR) whose token the block's filter may hold. A filter with a value that is not exact (a
    /// wildcard, a value outside the Basic Multilingual Plane, a property value too long or too
    /// deep to be indexed) asks nothing; so do <c>-Text</c>, <c>-Message</c>, <c>-Pattern</c> and
    /// <c>-HasException</c>.
    /// </summary>
    internal sealed class BlockSkip
    {
        private readonly string[][] _filters;
        private readonly string[]? _traceIds;
        private readonly string[]? _spanIds;
        private readonly byte[][] _propertyLiterals;

        private BlockSkip(string[][] filters, string[]? traceIds, string[]? spanIds, byte[][] propertyLiterals)
        {
            _filters = filters;
            _traceIds = traceIds;
            _spanIds = spanIds;
            _propertyLiterals = propertyLiterals;
        }

        /// <summary>The tokens of each filter that asks the Bloom filter: a block may hold a match only if it may hold one token of each.</summary>
        public IReadOnlyList<IReadOnlyList<string>> Filters => _filters;

        public static BlockSkip For(LogQuery query)
        {
            var filters = new List<string[]>();
            Add(filters, Values(query.TraceIds).Select(id => Exact(id, BlockTokens.Trace)));
            Add(filters, Values(query.SpanIds).Select(id => Exact(id, BlockTokens.Span)));
            Add(filters, Values(query.EventIds).Select(EventToken));
            Add(filters, Patterns(query.Categories).Select(c => Literal(c, BlockTokens.Category)));
            Add(filters, Patterns(query.ExceptionTypes).Select(t => Literal(t, BlockTokens.ExceptionType)));
            foreach (var condition in query.Properties ?? Array.Empty<PropertyCondition>())
            {
                if (condition is not null) Add(filters, new[] { PropertyToken(condition) });
            }

            var traceIds = Values(query.TraceIds).ToArray();
            var spanIds = Values(query.SpanIds).ToArray();
            // A property value without wildcards, in ASCII: a match's properties text holds it.
            var literals = (query.Properties ?? Array.Empty<PropertyCondition>())
                .Select(condition => condition?.Value is string pattern ? new Wildcard(pattern).Literal : null)
                .Where(literal => literal is { Length: > 0 } && literal.All(c => c > 0x1f && c < 0x7f))
                .Select(literal => System.Text.Encoding.ASCII.GetBytes(literal!.ToLowerInvariant()))
                .ToArray();
            return new BlockSkip(filters.ToArray(), traceIds.Length > 0 ? traceIds : null, spanIds.Length > 0 ? spanIds : null, literals);
        }

        /// <summary>
        /// Which lines of an opened block can hold a match, read from the lines' trace ids, span ids
        /// and properties without making entries of them (<see cref="MayHoldLine"/>); null when the
        /// query has no such filter, and every line is read.
        /// </summary>
        public Func<PayloadLines, int, bool>? Lines => _traceIds is null && _spanIds is null && _propertyLiterals.Length == 0 ? null : MayHoldLine;

        /// <summary>
        /// Whether line <paramref name="line"/> may match: false only when its trace id (or span id)
        /// is none of the query's, compared as <see cref="LogFilter"/> compares them (ordinal,
        /// ignoring case), or when its properties are plain ASCII without escapes and do not hold
        /// (ignoring case) the value of a property filter without wildcards, or are empty. The
        /// filter still decides for the lines let through.
        /// </summary>
        public bool MayHoldLine(PayloadLines lines, int line)
        {
            if (_traceIds is not null && !HoldsOne(lines, line, JsonLinesPayload.TraceIdIndex, _traceIds)) return false;
            if (_spanIds is not null && !HoldsOne(lines, line, JsonLinesPayload.SpanIdIndex, _spanIds)) return false;
            if (_propertyLiterals.Length == 0) return true;
            var properties = lines.ValueOf(line, JsonLinesPayload.PropertiesIndex);
            if (properties.IsMissing) return false;
            if (!properties.IsAscii) return true;
            var text = lines.BytesOf(properties);
            if (text.IndexOf((byte)'\\') >= 0) return true;
            foreach (var literal in _propertyLiterals)
            {
                if (!ContainsIgnoringCase(text, literal)) return false;
            }

            return true;
        }

        /// <summary>Whether ASCII <paramref name="text"/> holds <paramref name="lower"/> (lower-case ASCII), ignoring case.</summary>
        private static bool ContainsIgnoringCase(ReadOnlySpan<byte> text, byte[] lower)
        {
            var first = lower[0];
            var upper = first >= (byte)'a' && first <= (byte)'z' ? (byte)(first - 0x20) : first;
            for (var at = 0; at <= text.Length - lower.Length;)
            {
                var found = text.Slice(at, text.Length - lower.Length + 1 - at).IndexOfAny(first, upper);
                if (found < 0) return false;
                at += found;
                var i = 1;
                while (i < lower.Length && (text[at + i] | (text[at + i] >= (byte)'A' && text[at + i] <= (byte)'Z' ? 0x20 : 0)) == lower[i]) i++;
                if (i == lower.Length) return true;
                at++;
            }

            return false;
        }

        private static bool HoldsOne(PayloadLines lines, int line, int field, string[] ids)
        {
            var value = lines.ValueOf(line, field);
            var bytes = value.IsAscii ? lines.BytesOf(value) : ReadOnlySpan<byte>.Empty;
            foreach (var id in ids)
            {
                if (value.Text is { } text ? string.Equals(text, id, StringComparison.OrdinalIgnoreCase) : EqualsIgnoringCase(bytes, id)) return true;
            }

            return false;
        }

        /// <summary>Plain ASCII bytes against a query's value, as <see cref="StringComparison.OrdinalIgnoreCase"/> compares their text.</summary>
        private static bool EqualsIgnoringCase(ReadOnlySpan<byte> ascii, string id)
        {
            if (ascii.Length != id.Length) return false;
            for (var i = 0; i < ascii.Length; i++)
            {
                var (b, c) = ((char)ascii[i], id[i]);
                if (b == c) continue;
                // A letter outside ASCII may fold onto an ASCII one (U+0131 onto I): the text decides.
                if (c > 0x7f) return string.Equals(System.Text.Encoding.ASCII.GetString(ascii.ToArray()), id, StringComparison.OrdinalIgnoreCase);
                if ((b | 0x20) != (c | 0x20) || (b | 0x20) < 'a' || (b | 0x20) > 'z') return false;
            }

            return true;
        }

        /// <summary>Whether the block may hold an entry that matches: false only when its Bloom filter rules out every value of a filter.</summary>
        public bool MayHold(BlockHeader header)
        {
            if (header.Bloom is null) return true;
            foreach (var tokens in _filters)
            {
                if (!tokens.Any(token => BlockDecoder.MayHold(header, token))) return false;
            }

            return true;
        }

        /// <summary>A filter asks the Bloom filter only when it has values and every one of them is exact (a token).</summary>
        private static void Add(List<string[]> filters, IEnumerable<string?> tokens)
        {
            var all = tokens.ToArray();
            if (all.Length > 0 && all.All(t => t is not null)) filters.Add(all!);
        }

        /// <summary>The values as <see cref="LogFilter"/> takes them: not blank, trimmed.</summary>
        private static IEnumerable<string> Values(IReadOnlyList<string>? values) =>
            (values ?? Array.Empty<string>()).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim());

        private static IEnumerable<string> Patterns(IReadOnlyList<string>? patterns) =>
            (patterns ?? Array.Empty<string>()).Where(p => !string.IsNullOrEmpty(p));

        private static string? EventToken(string value) =>
            int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                ? BlockTokens.EventId(number)
                : Literal(value, BlockTokens.EventName);

        /// <summary>The token of a wildcard without wildcards (its literal, backticks removed); null for any other.</summary>
        private static string? Literal(string pattern, Func<string, string> token) =>
            new Wildcard(pattern).Literal is { Length: > 0 } literal ? Exact(literal, token) : null;

        /// <summary>The token of an exact value; null when it holds a surrogate pair, which the char-by-char upper-casing leaves alone.</summary>
        private static string? Exact(string value, Func<string, string> token) => value.Any(char.IsSurrogate) ? null : token(value);

        private static string? PropertyToken(PropertyCondition condition)
        {
            var name = condition.Name;
            if (name.Split('.').Length > BlockTokens.MaxDepth + 1 || name.Any(char.IsSurrogate)) return null;
            var value = condition.Value switch
            {
                decimal number => BlockTokens.CanonicalNumber(number),
                bool flag => flag ? "TRUE" : "FALSE",
                string pattern => new Wildcard(pattern).Literal is { } text && text.Length <= BlockTokens.MaxValueLength && !text.Any(char.IsSurrogate)
                    ? BlockTokens.TextValue(text)
                    : null,
                _ => null,
            };
            return value is null ? null : BlockTokens.Property(name, value);
        }
    }
}
