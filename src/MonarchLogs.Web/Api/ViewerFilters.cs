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

        /// <summary>The filters of the query string; every bad parameter is reported at once (see <see cref="ParameterErrors"/>).</summary>
        public static ViewerFilters Parse(IQueryCollection query, DateTime nowUtc)
        {
            var errors = new ParameterErrors();
            var filters = Parse(query, nowUtc, errors);
            errors.ThrowIfAny();
            return filters;
        }

        /// <summary>
        /// The filters of the query string. A bad parameter is added to <paramref name="errors"/>
        /// and read as absent, so that the caller can read its own parameters too and then report
        /// every bad one in one answer.
        /// </summary>
        public static ViewerFilters Parse(IQueryCollection query, DateTime nowUtc, ParameterErrors errors)
        {
            var filters = new ViewerFilters
            {
                Since = errors.Read(() => ParseTime(query, "since", nowUtc)),
                Until = errors.Read(() => ParseTime(query, "until", nowUtc)),
                Levels = errors.Read(() => ParseLevels(query)),
                MinimumLevel = errors.Read(() => ParseMinimumLevel(query)),
                Services = errors.Read(() => WildcardsOf(query, "service")),
                Categories = errors.Read(() => WildcardsOf(query, "category")),
                Text = errors.Read(() => NonEmpty(Single(query, "q"))),
                TraceIds = errors.Read(() => ListOf(query, "traceId")),
                SpanIds = errors.Read(() => ListOf(query, "spanId")),
                EventIds = errors.Read(() => WildcardsOf(query, "eventId")),
                HasException = errors.Read(() => ParseBoolean(query, "hasException")),
                ExceptionTypes = errors.Read(() => WildcardsOf(query, "exceptionType")),
                Properties = ParseProperties(query, errors),
                OldestFirst = errors.Read(() => ParseOrder(query)),
                After = errors.Read(() => ParseCursor(query, "after")),
            };

            // The engine validates the combination (the time range); a parameter already found bad
            // was read as absent, so this names only what is left.
            try
            {
                _ = new LogFilter(filters.ToQuery(limit: null));
            }
            catch (MonarchLogsException ex) when (ex.Kind == MonarchErrorKind.InvalidArgument)
            {
                errors.Add(new BadParameterException(ParameterOf(ex.ErrorId), ex.ErrorId, ex.Message, ex));
            }

            return filters;
        }

        /// <summary>An entry Id given as a cursor, checked by the engine (<c>InvalidCursor</c>).</summary>
        public static string? ParseCursor(IQueryCollection query, string name)
        {
            var text = NonEmpty(Single(query, name));
            if (text is null) return null;
            try
            {
                _ = new LogFilter(new LogQuery { After = text });
            }
            catch (MonarchLogsException ex) when (ex.Kind == MonarchErrorKind.InvalidArgument)
            {
                throw new BadParameterException(name, ex.ErrorId, $"{name} '{Shorten(text)}' is not the Id of a log entry; an Id looks like 1764340087123-0@orders/error.", ex);
            }

            return text;
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

        /// <summary>
        /// A parameter that takes several values, repeated (<c>service=a&amp;service=b</c>) or
        /// comma-separated, where a comma after a backtick does not separate: the backtick is the
        /// wildcard escape, so <c>eu`,west</c> stays one value that matches the name <c>eu,west</c>.
        /// </summary>
        private static IReadOnlyList<string>? ListOf(IQueryCollection query, string name)
        {
            var values = query[name]
                .SelectMany(v => SplitList(v ?? string.Empty))
                .Select(v => v.Trim())
                .Where(v => v.Length > 0)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            return values.Count == 0 ? null : values;
        }

        /// <summary>Splits on the commas that no backtick escapes; the escapes stay for the wildcard to read.</summary>
        internal static IEnumerable<string> SplitList(string text)
        {
            var start = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '`')
                {
                    i++;
                }
                else if (text[i] == ',')
                {
                    yield return text.Substring(start, i - start);
                    start = i + 1;
                }
            }

            yield return text.Substring(start);
        }

        /// <summary>The property filters: every <c>prop.&lt;name&gt;</c> parameter, each given once; each bad one is reported.</summary>
        private static IReadOnlyList<PropertyCondition>? ParseProperties(IQueryCollection query, ParameterErrors errors)
        {
            const string Prefix = "prop.";
            var conditions = new List<PropertyCondition>();
            foreach (var key in query.Keys)
            {
                if (!key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) continue;
                var condition = errors.Read(() => ParseProperty(query, key, key.Substring(Prefix.Length)));
                if (condition is not null) conditions.Add(condition);
            }

            return conditions.Count == 0 ? null : conditions;
        }

        private static PropertyCondition? ParseProperty(IQueryCollection query, string key, string name)
        {
            var value = Single(query, key);
            if (string.IsNullOrEmpty(value)) return null;
            try
            {
                return PropertyCondition.Text(name, value!);
            }
            catch (MonarchLogsException ex)
            {
                throw new BadParameterException(key, ex.ErrorId, $"{Shorten(key)}: {ex.Message}", ex);
            }
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
