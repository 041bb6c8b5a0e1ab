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

        private BlockSkip(string[][] filters) => _filters = filters;

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

            return new BlockSkip(filters.ToArray());
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
