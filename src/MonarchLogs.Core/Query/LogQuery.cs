using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// What to read from the store. Every filter combines with every other (AND); the values
    /// within one filter combine with OR. The time range is half-open: [Since, Until).
    /// </summary>
    public sealed record LogQuery
    {
        /// <summary>Inclusive lower bound, UTC.</summary>
        public DateTime? Since { get; init; }

        /// <summary>Exclusive upper bound, UTC.</summary>
        public DateTime? Until { get; init; }

        /// <summary>Exactly these levels; null or empty for all.</summary>
        public IReadOnlyCollection<MonarchLogLevel>? Levels { get; init; }

        /// <summary>This level and above.</summary>
        public MonarchLogLevel? MinimumLevel { get; init; }

        /// <summary>Service names or wildcards (<c>*</c>, <c>?</c>, <c>[a-z]</c>, <c>`</c> escapes; see <see cref="Wildcard"/>), case-insensitive.</summary>
        public IReadOnlyList<string>? Services { get; init; }

        /// <summary>Service names or wildcards to leave out, case-insensitive.</summary>
        public IReadOnlyList<string>? ExcludeServices { get; init; }

        /// <summary>Category names or wildcards, case-insensitive.</summary>
        public IReadOnlyList<string>? Categories { get; init; }

        /// <summary>Category names or wildcards to leave out, case-insensitive.</summary>
        public IReadOnlyList<string>? ExcludeCategories { get; init; }

        /// <summary>Wildcard that the message or the exception text must match as a whole.</summary>
        public string? Message { get; init; }

        /// <summary>
        /// Regular expression searched in the message and the exception text. Without a match timeout
        /// of its own it gets <see cref="LogFilter.PatternMatchTimeout"/>; a search that runs past it
        /// ends the query with <c>PatternTimeout</c>.
        /// </summary>
        public Regex? Pattern { get; init; }

        /// <summary>Trace ids (W3C, 32 hex digits), case-insensitive; an entry of any of them.</summary>
        public IReadOnlyList<string>? TraceIds { get; init; }

        /// <summary>Span ids (16 hex digits), case-insensitive.</summary>
        public IReadOnlyList<string>? SpanIds { get; init; }

        /// <summary>Event ids: a number matches the id, anything else is a wildcard on the event name.</summary>
        public IReadOnlyList<string>? EventIds { get; init; }

        /// <summary>True: only entries with an exception; false: only entries without one.</summary>
        public bool? HasException { get; init; }

        /// <summary>Wildcards on the exception's type name (<c>System.Timeout*</c>).</summary>
        public IReadOnlyList<string>? ExceptionTypes { get; init; }

        /// <summary>Conditions on the structured properties; all must hold (see <see cref="PropertyCondition"/>).</summary>
        public IReadOnlyList<PropertyCondition>? Properties { get; init; }

        /// <summary>Case-insensitive text searched in message, exception, category, properties, trace and span id.</summary>
        public string? Text { get; init; }

        /// <summary>Only entries after this cursor (an entry Id), in store order.</summary>
        public string? After { get; init; }

        /// <summary>Only entries before this cursor (an entry Id), in store order.</summary>
        public string? Before { get; init; }

        /// <summary>Oldest first instead of the default newest first.</summary>
        public bool OldestFirst { get; init; }

        /// <summary>A hint of how many entries the caller will take; it sizes the first reads.</summary>
        public int? Limit { get; init; }
    }
}
