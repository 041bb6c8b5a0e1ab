using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Statistics;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Counts entries per time interval, level and service over any range of the retention
    /// period, exactly, from the counts the writers keep: it reads no entry (except those a
    /// writer did not count, see docs/storage-format.md, "Counts").
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Measure, "MonarchLog")]
    [OutputType(typeof(MonarchLogCount))]
    public sealed class MeasureMonarchLogCommand : MonarchPartitionFilterCommandBase
    {
        /// <summary>Count separately per level, per service, or both.</summary>
        [Parameter(Position = 0)]
        [ValidateSet("Level", "Service", IgnoreCase = true)]
        public string[] By { get; set; } = null!;

        /// <summary>The length of a bucket; without it, one count over the whole range.</summary>
        [Parameter]
        [DurationTransformation]
        [ValidatePositiveDuration]
        public TimeSpan Interval { get; set; }

        [Parameter]
        [TimeTransformation]
        public DateTime Since { get; set; }

        [Parameter]
        [TimeTransformation]
        public DateTime Until { get; set; }

        protected override void ProcessRecord()
        {
            var bound = MyInvocation.BoundParameters;
            var query = new LogQuery
            {
                Since = bound.ContainsKey(nameof(Since)) ? Since : null,
                Until = bound.ContainsKey(nameof(Until)) ? Until : null,
                Levels = Levels,
                MinimumLevel = Minimum,
                Services = Service,
                ExcludeServices = ExcludeService,
            };

            // The query's own checks (Since before Until, wildcards) run before any connection.
            try
            {
                _ = new LogFilter(query);
            }
            catch (MonarchLogsException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex, null));
            }

            var store = OpenStore();
            var counts = Await(store.CountAsync(query, bound.ContainsKey(nameof(Interval)) ? Interval : null, PartitionErrors, StopToken));
            WritePartitionErrors();
            var read = counts.Partitions.Where(p => p.CountedByReading).Select(p => p.Partition.ToString()).ToList();
            if (read.Count > 0)
            {
                WriteVerbose($"Counted by reading their entries: {string.Join(", ", read.Take(10).Select(p => DisplayText.Quote(p)))}{(read.Count > 10 ? $" and {read.Count - 10} more" : string.Empty)} (counts that do not cover every entry, or an interval that is not whole minutes).");
            }

            var byLevel = By?.Contains("Level", StringComparer.OrdinalIgnoreCase) == true;
            var byService = By?.Contains("Service", StringComparer.OrdinalIgnoreCase) == true;
            var groups = counts.Partitions
                .GroupBy(p => (Level: byLevel ? p.Partition.Level : (MonarchLogLevel?)null, Service: byService ? p.Partition.Service : null))
                .OrderBy(g => g.Key.Service, StringComparer.OrdinalIgnoreCase)
                .ThenBy(g => g.Key.Level)
                .ToList();
            for (var b = 0; b < counts.BucketCount; b++)
            {
                // Not grouped, an empty store still counts: 0 per bucket.
                if (groups.Count == 0 && !byLevel && !byService) WriteObject(new MonarchLogCount(counts.BucketStart(b), counts.BucketEnd(b), null, null, 0));
                foreach (var group in groups)
                {
                    var count = group.Sum(p => p.Buckets[b]);
                    WriteObject(new MonarchLogCount(counts.BucketStart(b), counts.BucketEnd(b), group.Key.Level?.ToString(), group.Key.Service, count));
                }
            }
        }
    }
}
