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
    /// The entry filters that Get-MonarchLog and Watch-MonarchLog share. Every filter combines
    /// with every other (AND); several values of one filter combine with OR.
    /// </summary>
    public abstract class MonarchFilterCommandBase : MonarchCommandBase
    {
        /// <summary>Exactly these levels.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateLogLevel]
        [ArgumentCompleter(typeof(LogLevelCompleter))]
        public string[] Level { get; set; } = null!;

        /// <summary>This level and above.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateLogLevel]
        [ArgumentCompleter(typeof(LogLevelCompleter))]
        public string MinimumLevel { get; set; } = null!;

        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ServiceCompleter))]
        public string[] Service { get; set; } = null!;

        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ServiceCompleter))]
        public string[] ExcludeService { get; set; } = null!;

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
                Levels = Level?.Select(LogLevels.Parse).ToArray(),
                MinimumLevel = MinimumLevel is null ? null : LogLevels.Parse(MinimumLevel),
                Services = Service,
                ExcludeServices = ExcludeService,
                Categories = Category,
                ExcludeCategories = ExcludeCategory,
                Message = Message,
                Pattern = pattern,
            };
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
