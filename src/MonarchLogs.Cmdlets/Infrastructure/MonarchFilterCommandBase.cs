using System;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// The entry filters that Get-MonarchLog and Watch-MonarchLog share: the partition filters,
    /// and those on an entry's content. Every filter combines with every other (AND); several
    /// values of one filter combine with OR.
    /// </summary>
    public abstract class MonarchFilterCommandBase : MonarchPartitionFilterCommandBase
    {
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Category { get; set; } = null!;

        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] ExcludeCategory { get; set; } = null!;

        /// <summary>A wildcard the whole message, or the exception text, must match.</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string Message { get; set; } = null!;

        /// <summary>A regular expression searched in the message and the exception text, case-insensitive.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Pattern { get; set; } = null!;

        /// <summary>
        /// Conditions on the structured properties (template arguments and scope values), all of
        /// which must hold: numbers and booleans compare as such, text is a wildcard.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public System.Collections.Hashtable Property { get; set; } = null!;

        /// <summary>W3C trace ids (32 hex digits).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] TraceId { get; set; } = null!;

        /// <summary>Span ids (16 hex digits).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] SpanId { get; set; } = null!;

        /// <summary>Event ids: a number matches the id, a name (wildcards allowed) the event name.</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] EventId { get; set; } = null!;

        /// <summary>Only entries with an exception (-HasException:$false: only those without).</summary>
        [Parameter]
        public SwitchParameter HasException { get; set; }

        /// <summary>Wildcards on the exception's type name, such as System.Timeout*.</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] ExceptionType { get; set; } = null!;

        /// <summary>The query of the filter parameters; a bad regular expression ends the command (InvalidPattern).</summary>
        private protected LogQuery BuildQuery(DateTime? since = null, DateTime? until = null, string? after = null, string? before = null, bool oldestFirst = false, int? limit = null)
        {
            Regex? pattern = null;
            if (Pattern is not null)
            {
                try
                {
                    pattern = new Regex(Pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                }
                catch (ArgumentException ex)
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Pattern '{Pattern}' is not a valid regular expression: {ex.Message}", ex),
                        "InvalidPattern", ErrorCategory.InvalidArgument, Pattern));
                }
            }

            return new LogQuery
            {
                Since = since,
                Until = until,
                After = after,
                Before = before,
                OldestFirst = oldestFirst,
                Limit = limit,
                Levels = Levels,
                MinimumLevel = Minimum,
                Services = Service,
                ExcludeServices = ExcludeService,
                Categories = Category,
                ExcludeCategories = ExcludeCategory,
                Message = Message,
                Pattern = pattern,
                TraceIds = TraceId,
                SpanIds = SpanId,
                EventIds = EventId,
                HasException = MyInvocation.BoundParameters.ContainsKey(nameof(HasException)) ? HasException.IsPresent : null,
                ExceptionTypes = ExceptionType,
                Properties = Property is null ? null : PropertyConditions(Property),
            };
        }

        /// <summary>The conditions of -Property; a key without a usable value ends the command (InvalidPropertyFilter).</summary>
        private PropertyCondition[] PropertyConditions(System.Collections.Hashtable property)
        {
            try
            {
                return ConditionsOf(property);
            }
            catch (MonarchLogsException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex, property));
                throw;
            }
        }

        private static PropertyCondition[] ConditionsOf(System.Collections.Hashtable property)
        {
            var conditions = new System.Collections.Generic.List<PropertyCondition>(property.Count);
            foreach (System.Collections.DictionaryEntry pair in property)
            {
                // A value from a script may come wrapped (a PSObject): compare what it holds.
                var value = pair.Value is PSObject wrapped ? wrapped.BaseObject : pair.Value;
                conditions.Add(PropertyCondition.From(Convert.ToString(pair.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, value));
            }

            return conditions.ToArray();
        }

        /// <summary>The filter's own checks (Since before Until, cursor syntax), before any connection; a failure ends the command.</summary>
        private protected void ValidateQuery(LogQuery query, string? after, string? before)
        {
            try
            {
                _ = new LogFilter(query);
            }
            catch (MonarchLogsException ex)
            {
                object? target = ex.ErrorId == "InvalidCursor"
                    ? (after is not null && !LogEntryId.TryParse(after, out _) ? after : before)
                    : query;
                ThrowTerminatingError(ToErrorRecord(ex, target));
            }
        }
    }
}
