using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.AspNetCore.Http;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// The filter parameters that api/logs, api/stats, api/stream and the downloads share, read
    /// from the query string. It only translates text into a <see cref="LogQuery"/>; what the
    /// filters mean is the store engine's (<see cref="LogFilter"/>), one implementation for the
    /// cmdlets and the web alike.
    /// </summary>
    internal sealed class ViewerFilters
    {
        private ViewerFilters()
        {
        }

        public DateTime? Since { get; private init; }

        public DateTime? Until { get; private init; }

        public IReadOnlyCollection<MonarchLogLevel>? Levels { get; private init; }

        public MonarchLogLevel? MinimumLevel { get; private init; }

        public IReadOnlyList<string>? Services { get; private init; }

        public IReadOnlyList<string>? Categories { get; private init; }

        public string? Text { get; private init; }

        public IReadOnlyList<string>? TraceIds { get; private init; }

        public IReadOnlyList<string>? SpanIds { get; private init; }

        public IReadOnlyList<string>? EventIds { get; private init; }

        public bool? HasException { get; private init; }

        public IReadOnlyList<string>? ExceptionTypes { get; private init; }

        /// <summary>From <c>prop.&lt;name&gt;=&lt;wildcard&gt;</c>; a number or boolean matches its written form.</summary>
        public IReadOnlyList<PropertyCondition>? Properties { get; private init; }

        public bool OldestFirst { get; private init; }

        /// <summary>The paging cursor: continue after this entry, in the order of the result.</summary>
        public string? After { get; private init; }

        public static ViewerFilters Parse(IQueryCollection query, DateTime nowUtc)
        {
            var filters = new ViewerFilters
            {
                Since = ParseTime(query, "since", nowUtc),
                Until = ParseTime(query, "until", nowUtc),
                Levels = ParseLevels(query),
                MinimumLevel = ParseMinimumLevel(query),
                Services = WildcardsOf(query, "service"),
                Categories = WildcardsOf(query, "category"),
                Text = NonEmpty(Single(query, "q")),
                TraceIds = ListOf(query, "traceId"),
                SpanIds = ListOf(query, "spanId"),
                EventIds = WildcardsOf(query, "eventId"),
                HasException = ParseBoolean(query, "hasException"),
                ExceptionTypes = WildcardsOf(query, "exceptionType"),
                Properties = ParseProperties(query),
                OldestFirst = ParseOrder(query),
                After = NonEmpty(Single(query, "after")),
            };

            // The engine validates the combination (time range, cursor); failing here, before any
            // byte of the answer is written, keeps a bad request a clean 400.
            try
            {
                _ = new LogFilter(filters.ToQuery(limit: null));
            }
            catch (MonarchLogsException ex) when (ex.Kind == MonarchErrorKind.InvalidArgument)
            {
                throw new BadParameterException(ParameterOf(ex.ErrorId), ex.ErrorId, ex.Message, ex);
            }

            return filters;
        }

        /// <summary>
        /// The store query. The cursor follows the result's order: newest first, "after" an entry
        /// means older than it, which the engine calls Before.
        /// </summary>
        public LogQuery ToQuery(int? limit, bool? oldestFirst = null, string? after = null, bool withCursor = true, bool withUntil = true)
        {
            var ascending = oldestFirst ?? OldestFirst;
            var cursor = withCursor ? after ?? After : null;
            return new LogQuery
            {
                Since = Since,
                Until = withUntil ? Until : null,
                Levels = Levels,
                MinimumLevel = MinimumLevel,
                Services = Services,
                Categories = Categories,
                Text = Text,
                TraceIds = TraceIds,
                SpanIds = SpanIds,
                EventIds = EventIds,
                HasException = HasException,
                ExceptionTypes = ExceptionTypes,
                Properties = Properties,
                OldestFirst = ascending,
                After = ascending ? cursor : null,
                Before = ascending ? null : cursor,
                Limit = limit,
            };
        }

        /// <summary>Reads <c>limit</c>: at least 1, at most <paramref name="max"/> (a larger value is capped, not refused).</summary>
        public static int ParseLimit(IQueryCollection query, int defaultLimit, int max)
        {
            var text = Single(query, "limit");
            if (string.IsNullOrWhiteSpace(text)) return Math.Min(defaultLimit, max);
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) || limit < 1)
            {
                throw new BadParameterException("limit", "InvalidLimit", $"limit '{Shorten(text)}' is not a whole number of at least 1.");
            }

            return (int)Math.Min(limit, max);
        }

        public static string? Single(IQueryCollection query, string name)
        {
            var values = query[name];
            if (values.Count > 1)
            {
                throw new BadParameterException(name, "DuplicateParameter", $"{name} was given {values.Count} times; give it once.");
            }

            return values.Count == 1 ? values[0] : null;
        }

        /// <summary>A list of wildcards; one the engine cannot read (a <c>[</c> without <c>]</c>) is refused naming the parameter.</summary>
        private static IReadOnlyList<string>? WildcardsOf(IQueryCollection query, string name)
        {
            var patterns = ListOf(query, name);
            foreach (var pattern in patterns ?? Array.Empty<string>())
            {
                try
                {
                    _ = new Wildcard(pattern);
                }
                catch (MonarchLogsException ex)
                {
                    throw new BadParameterException(name, ex.ErrorId, $"{name}: {ex.Message}", ex);
                }
            }

            return patterns;
        }

        /// <summary>A parameter that takes several values, repeated (<c>service=a&amp;service=b</c>) or comma-separated.</summary>
        private static IReadOnlyList<string>? ListOf(IQueryCollection query, string name)
        {
            var values = query[name]
                .SelectMany(v => (v ?? string.Empty).Split(','))
                .Select(v => v.Trim())
                .Where(v => v.Length > 0)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            return values.Count == 0 ? null : values;
        }

        /// <summary>The property filters: every <c>prop.&lt;name&gt;</c> parameter, each given once.</summary>
        private static IReadOnlyList<PropertyCondition>? ParseProperties(IQueryCollection query)
        {
            const string Prefix = "prop.";
            var conditions = new List<PropertyCondition>();
            foreach (var key in query.Keys)
            {
                if (!key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) continue;
                var value = Single(query, key);
                if (string.IsNullOrEmpty(value)) continue;
                try
                {
                    conditions.Add(PropertyCondition.Text(key.Substring(Prefix.Length), value!));
                }
                catch (MonarchLogsException ex)
                {
                    throw new BadParameterException(key, ex.ErrorId, $"{Shorten(key)}: {ex.Message}", ex);
                }
            }

            return conditions.Count == 0 ? null : conditions;
        }

        private static bool? ParseBoolean(IQueryCollection query, string name)
        {
            var text = NonEmpty(Single(query, name));
            if (text is null) return null;
            if (bool.TryParse(text, out var value)) return value;
            throw new BadParameterException(name, "InvalidBoolean", $"{name} '{Shorten(text)}' is not true or false.");
        }

        private static DateTime? ParseTime(IQueryCollection query, string name, DateTime nowUtc)
        {
            var text = NonEmpty(Single(query, name));
            if (text is null) return null;
            try
            {
                var utc = TimeExpression.Parse(text, nowUtc);
                LogFilter.CheckTime(utc, name);
                return utc;
            }
            catch (MonarchLogsException ex)
            {
                throw new BadParameterException(name, ex.ErrorId, $"{name}: {ex.Message}", ex);
            }
        }

        private static IReadOnlyCollection<MonarchLogLevel>? ParseLevels(IQueryCollection query)
        {
            var names = ListOf(query, "level");
            if (names is null) return null;
            var levels = new HashSet<MonarchLogLevel>();
            foreach (var name in names) levels.Add(ParseLevel("level", name));
            return levels.OrderBy(l => l).ToList();
        }

        private static MonarchLogLevel? ParseMinimumLevel(IQueryCollection query)
        {
            var text = NonEmpty(Single(query, "minLevel"));
            return text is null ? null : ParseLevel("minLevel", text);
        }

        private static MonarchLogLevel ParseLevel(string parameter, string text)
        {
            if (LogLevels.TryParse(text, out var level)) return level;
            throw new BadParameterException(parameter, "InvalidLevel",
                $"{parameter} '{Shorten(text)}' is not a log level. Use one of: {string.Join(", ", LogLevels.AcceptedNames)}.");
        }

        private static bool ParseOrder(IQueryCollection query)
        {
            var text = NonEmpty(Single(query, "order"));
            switch (text?.ToLowerInvariant())
            {
                case null: case "newest": case "desc": case "newest-first": return false;
                case "oldest": case "asc": case "oldest-first": return true;
                default: throw new BadParameterException("order", "InvalidOrder", $"order '{Shorten(text)}' is not an order. Use newest or oldest.");
            }
        }

        /// <summary>A value as an error message quotes it: short, with control characters and bidi overrides escaped.</summary>
        internal static string Shorten(string? text) => DisplayText.Quote(text);

        /// <summary>The parameter an error of the engine's combined check is about.</summary>
        private static string ParameterOf(string errorId) => errorId switch
        {
            "InvalidCursor" => "after",
            "InvalidLimit" => "limit",
            // Since and until each parse on their own; what is left is their order (InvalidTimeRange).
            _ => "until",
        };

        private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }
}
