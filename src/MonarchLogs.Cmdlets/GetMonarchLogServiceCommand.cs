using System.Linq;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Lists the partitions of the store's registry: each service with each level it has
    /// written, sorted by service then severity.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MonarchLogService")]
    [OutputType(typeof(Partition))]
    public sealed class GetMonarchLogServiceCommand : MonarchCommandBase
    {
        /// <summary>Only these services (wildcards allowed).</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ServiceCompleter))]
        public string[] Service { get; set; } = null!;

        protected override void ProcessRecord()
        {
            var store = OpenStore();
            var services = Service?.Select(s => new Wildcard(s)).ToArray();
            var partitions = Await(store.GetPartitionsAsync(PartitionErrors, StopToken))
                .Where(p => services is null || services.Any(s => s.IsMatch(p.Service)))
                .OrderBy(p => p.Service, System.StringComparer.OrdinalIgnoreCase)
                .ThenBy(p => p.Level);
            WritePartitionErrors();
            foreach (var partition in partitions) WriteObject(partition);
        }
    }
}
