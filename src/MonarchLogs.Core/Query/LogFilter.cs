using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// A validated <see cref="LogQuery"/>: the one implementation of the filter semantics,
    /// which the reader, the live tail and the web API share.
    /// </summary>
    public sealed class LogFilter
    {
        /// <summary>
        /// How long one regular expression may search one text. A user's expression can take
        /// exponential time (<c>(a+)+$</c>); past this the query stops with <c>PatternTimeout</c>
        /// instead of holding a thread for minutes.
        /// </summary>
        public static readonly TimeSpan PatternMatchTimeout = TimeSpan.FromSeconds(1);

        /// <summary>The error id of a regular expression that took longer than <see cref="PatternMatchTimeout"/>.</summary>
        public const string PatternTimeoutErrorId = "PatternTimeout";

        /// <summary>The earliest time an entry can have: entry ids count milliseconds since the Unix epoch.</summary>
        public static readonly DateTime EarliestTime = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>The latest time a query can name, the end of year 9999.</summary>
        public static readonly DateTime LatestTime = new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Utc);

        private readonly LogQuery _query;
        private readonly HashSet<MonarchLogLevel> _levels;
        private readonly Wildcard[] _services;
        private readonly Wildcard[] _excludeServices;
        private readonly Wildcard[] _categories;
        private readonly Wildcard[] _excludeCategories;
        private readonly Wildcard? _message;
        private readonly Regex? _pattern;
        private readonly HashSet<string>? _traceIds;
        private readonly HashSet<string>? _spanIds;
        private readonly HashSet<int>? _eventIdNumbers;
        private readonly Wildcard[] _eventNames;
        private readonly Wildcard[] _exceptionTypes;
        private readonly PropertyCondition[] _properties;
        private readonly string[] _propertyNeedles;

        /// <summary>A filter for <paramref name="query"/>; every wildcard and time is checked here.</summary>
        /// <exception cref="MonarchLogsException">A bad wildcard, pattern, time or time range, with its error id.</exception>
        public LogFilter(LogQuery query)
        {
            _query = query ?? throw new ArgumentNullException(nameof(query));
            CheckTime(query.Since, "Since");
            CheckTime(query.Until, "Until");
            if (query.Since is { } since && query.Until is { } until && since.ToUniversalTime() >= until.ToUniversalTime())
            {
                throw new MonarchLogsException("InvalidTimeRange", MonarchErrorKind.InvalidArgument,
                    $"Since ({Format(since)}) must be earlier than Until ({Format(until)}).");
            }

            After = ParseCursor(query.After, "After");
            Before = ParseCursor(query.Before, "Before");
            if (query.Limit is < 1)
            {
                throw new MonarchLogsException("InvalidLimit", MonarchErrorKind.InvalidArgument, "The limit must be at least 1.");
            }

            _levels = new HashSet<MonarchLogLevel>(query.Levels is { Count: > 0 } levels ? levels : LogLevels.All);
            if (query.MinimumLevel is { } minimum) _levels.RemoveWhere(l => l < minimum);
            _services = Compile(query.Services);
            _excludeServices = Compile(query.ExcludeServices);
            _categories = Compile(query.Categories);
            _excludeCategories = Compile(query.ExcludeCategories);
            _message = string.IsNullOrEmpty(query.Message) ? null : new Wildcard(query.Message!);
            _pattern = query.Pattern is null ? null : WithTimeout(query.Pattern);
            _traceIds = IdSet(query.TraceIds);
            _spanIds = IdSet(query.SpanIds);
            var eventIds = (query.EventIds ?? Array.Empty<string>()).Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e.Trim()).ToArray();
            var numbers = eventIds.Where(e => int.TryParse(e, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)).ToArray();
            _eventIdNumbers = numbers.Length == 0 ? null : new HashSet<int>(numbers.Select(e => int.Parse(e, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)));
            _eventNames = Compile(eventIds.Except(numbers).ToArray());
            _exceptionTypes = Compile(query.ExceptionTypes);
            _properties = query.Properties?.Where(p => p is not null).ToArray() ?? Array.Empty<PropertyCondition>();

            // A property that is there is named in the JSON text: a cheap test before parsing it.
            // Only for names whose JSON form is the name itself (no escapes), and not for paths.
            _propertyNeedles = _properties.Select(p => p.Name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '-')) ? "\"" + p.Name + "\"" : string.Empty).ToArray();
        }

        /// <summary>The query the filter was made from.</summary>
        public LogQuery Query => _query;

        /// <summary>
        /// Whether an entry's content decides (category, text, structure filters), beyond its
        /// partition (level, service) and time: then entries must be read to be counted.
        /// </summary>
        public bool ReadsContent =>
            _categories.Length > 0 || _excludeCategories.Length > 0 || _message is not null || _pattern is not null || !string.IsNullOrEmpty(_query.Text)
            || _traceIds is not null || _spanIds is not null || _eventIdNumbers is not null || _eventNames.Length > 0
            || _query.HasException is not null || _exceptionTypes.Length > 0 || _properties.Length > 0;

        /// <summary>The cursor the result continues after, exclusive; null to start at the beginning.</summary>
        public LogEntryId? After { get; }

        /// <summary>The cursor the result stops before, exclusive; null for no such bound.</summary>
        public LogEntryId? Before { get; }

        /// <summary>Whether a partition can hold matching entries: the level and service filters.</summary>
        public bool Includes(Partition partition) =>
            _levels.Contains(partition.Level)
            && (_services.Length == 0 || _services.Any(s => s.IsMatch(partition.Service)))
            && !_excludeServices.Any(s => s.IsMatch(partition.Service));

        /// <summary>The filters that need the entry's content.</summary>
        public bool Matches(MonarchLogEntry entry)
        {
            if (_categories.Length > 0 && !_categories.Any(c => c.IsMatch(entry.Category))) return false;
            if (_excludeCategories.Any(c => c.IsMatch(entry.Category))) return false;
            if (_message is not null && !_message.IsMatch(entry.Message) && !(entry.Exception.Length > 0 && _message.IsMatch(entry.Exception))) return false;
            if (_pattern is { } pattern && !Search(pattern, entry.Message) && !(entry.Exception.Length > 0 && Search(pattern, entry.Exception))) return false;
            if (_traceIds is not null && !_traceIds.Contains(entry.TraceId)) return false;
            if (_spanIds is not null && !_spanIds.Contains(entry.SpanId)) return false;
            if ((_eventIdNumbers is not null || _eventNames.Length > 0)
                && !(_eventIdNumbers is not null && _eventIdNumbers.Contains(entry.EventId))
                && !(entry.EventName.Length > 0 && _eventNames.Any(n => n.IsMatch(entry.EventName)))) return false;
            if (_query.HasException is { } hasException && hasException != (entry.ExceptionType.Length > 0 || entry.Exception.Length > 0)) return false;
            if (_exceptionTypes.Length > 0 && (entry.ExceptionType.Length == 0 || !_exceptionTypes.Any(t => t.IsMatch(entry.ExceptionType)))) return false;
            if (_properties.Length > 0 && !MatchesProperties(entry.Properties)) return false;
            if (!string.IsNullOrEmpty(_query.Text))
            {
                var text = _query.Text!;
                if (!Contains(entry.Message, text) && !Contains(entry.Exception, text)
                    && !Contains(entry.Category, text) && !Contains(entry.Properties, text)
                    && !Contains(entry.TraceId, text) && !Contains(entry.SpanId, text)) return false;
            }

            return true;
        }

        private bool MatchesProperties(string properties)
        {
            if (properties.Length == 0) return false;
            for (var i = 0; i < _propertyNeedles.Length; i++)
            {
                if (_propertyNeedles[i].Length > 0 && properties.IndexOf(_propertyNeedles[i], StringComparison.OrdinalIgnoreCase) < 0) return false;
            }

            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(properties);
                foreach (var condition in _properties)
                {
                    if (!condition.IsMatch(document.RootElement)) return false;
                }

                return true;
            }
            catch (System.Text.Json.JsonException)
            {
                // Properties that are not JSON (written by another tool) hold no named property.
                return false;
            }
        }

        private static HashSet<string>? IdSet(IReadOnlyList<string>? ids)
        {
            var set = ids?.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id.Trim()).ToArray();
            return set is { Length: > 0 } ? new HashSet<string>(set, StringComparer.OrdinalIgnoreCase) : null;
        }

        /// <summary>The caller's expression with its options and, unless it has a time limit of its own, <see cref="PatternMatchTimeout"/>.</summary>
        private static Regex WithTimeout(Regex pattern) =>
            pattern.MatchTimeout != Regex.InfiniteMatchTimeout ? pattern : new Regex(pattern.ToString(), pattern.Options, PatternMatchTimeout);

        private static bool Search(Regex pattern, string text)
        {
            try
            {
                return pattern.IsMatch(text);
            }
            catch (RegexMatchTimeoutException ex)
            {
                throw new MonarchLogsException(PatternTimeoutErrorId, MonarchErrorKind.InvalidArgument,
                    $"The regular expression '{DisplayText.Quote(pattern.ToString())}' took longer than {pattern.MatchTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s on one entry of {text.Length} characters. "
                    + "Simplify it: avoid nested or overlapping repetition such as (a+)+ or (a|a)*.", ex);
            }
        }

        private static bool Contains(string haystack, string needle) =>
            haystack.IndexOf(needle, StringComparison.OrdinalIgnoreCase) >= 0;

        private static Wildcard[] Compile(IReadOnlyList<string>? patterns) =>
            patterns is null ? Array.Empty<Wildcard>() : patterns.Where(p => !string.IsNullOrEmpty(p)).Select(p => new Wildcard(p)).ToArray();

        /// <summary>
        /// Refuses a time before <see cref="EarliestTime"/> with <c>TimeOutOfRange</c>: the store
        /// cannot name it (a stream id before the epoch), and a range that starts there means the
        /// same as no lower bound, which is what the caller should say instead.
        /// </summary>
        public static void CheckTime(DateTime? time, string name)
        {
            if (time is not { } value) return;
            var utc = value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime();
            if (utc >= EarliestTime) return;
            throw new MonarchLogsException(TimeExpression.OutOfRangeErrorId, MonarchErrorKind.InvalidArgument,
                $"{name} ({Format(utc)}) is before {Format(EarliestTime)}, the earliest time the store can hold; no entry is older. To read from the oldest entry, leave the start of the range out.");
        }

        private static LogEntryId? ParseCursor(string? text, string name)
        {
            if (string.IsNullOrEmpty(text)) return null;
            if (LogEntryId.TryParse(text, out var id)) return id;
            throw new MonarchLogsException("InvalidCursor", MonarchErrorKind.InvalidArgument,
                $"{name} '{DisplayText.Quote(text)}' is not a log entry Id; an Id looks like 1764340087123-0@orders/error.");
        }

        private static string Format(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
