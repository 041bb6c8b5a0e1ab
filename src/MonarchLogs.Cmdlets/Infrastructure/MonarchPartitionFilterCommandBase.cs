using System.Linq;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Core;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// The filters that pick partitions (level and service), which every command that reads the
    /// store shares, Measure-MonarchLog included.
    /// </summary>
    public abstract class MonarchPartitionFilterCommandBase : MonarchCommandBase
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

        private protected MonarchLogLevel[]? Levels => Level?.Select(LogLevels.Parse).ToArray();

        private protected MonarchLogLevel? Minimum => MinimumLevel is null ? null : LogLevels.Parse(MinimumLevel);
    }
}
