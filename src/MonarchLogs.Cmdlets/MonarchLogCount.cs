using System;

namespace MonarchLogs.Cmdlets
{
    /// <summary>One count of <c>Measure-MonarchLog</c>: the entries of a time bucket (and level and service, when grouped by them).</summary>
    public sealed class MonarchLogCount
    {
        internal MonarchLogCount(DateTime start, DateTime end, string? level, string? service, long count)
        {
            Start = start;
            End = end;
            Level = level;
            Service = service;
            Count = count;
        }

        /// <summary>The start of the bucket, UTC (inclusive).</summary>
        public DateTime Start { get; }

        /// <summary>The end of the bucket, UTC (exclusive).</summary>
        public DateTime End { get; }

        /// <summary>The level, when counted -By Level; else null.</summary>
        public string? Level { get; }

        /// <summary>The service, when counted -By Service; else null.</summary>
        public string? Service { get; }

        public long Count { get; }
    }
}
