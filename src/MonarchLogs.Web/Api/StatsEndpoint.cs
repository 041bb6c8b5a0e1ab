using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Statistics;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// api/stats: counts per level per time bucket, for the chart. Filtered by time, level and
    /// service only, it answers from the counts the writers keep (<see cref="LogStore.CountAsync(LogQuery, Func{DateTime, DateTime, TimeSpan?}, Action{PartitionError}?, System.Threading.CancellationToken)"/>),
    /// exactly and over any range, without reading entries. With filters on an entry's content it
    /// streams the ordinary query (the same filters as api/logs) and counts, reading at most
    /// <see cref="MonarchLogViewerOptions.StatsScanLimit"/> entries, newest first; past that the
    /// answer says <c>capped</c> and from when its counts are complete.
    /// </summary>
    internal static class StatsEndpoint
    {
        public const int TargetBuckets = 60;
        public const int MaxBuckets = 2000;

        private static readonly Regex IntervalPattern = new Regex(
            @"^\s*(?<n>\d{1,6})\s*(?<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        // Bucket widths a reader takes in at a glance, in seconds.
        private static readonly long[] NiceIntervals =
        {
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400,
        };

        public sealed record StatsBucket(DateTime Start, IReadOnlyList<long> Counts);

        public sealed record StatsResult(
            DateTime Since,
            DateTime Until,
            long IntervalSeconds,
            string Interval,
            IReadOnlyList<MonarchLogLevel> Levels,
            IReadOnlyList<StatsBucket> Buckets,
            IReadOnlyDictionary<string, long> Totals,
            long Total,
            bool Capped,
            DateTime? CompleteSince,
            IReadOnlyList<ViewerWarning> Warnings)
        {
            /// <summary>"counts" when answered from the writers' counts; "entries" when the entries were read.</summary>
            public string Source { get; init; } = "entries";
        }

        public static async Task<IResult> GetAsync(HttpContext context, LogStore store, IOptions<MonarchLogViewerOptions> options)
        {
            var now = DateTime.UtcNow;
            var query = context.Request.Query;
            var errors = new ParameterErrors();
            var filters = ViewerFilters.Parse(query, now, errors);
            var requestedInterval = errors.Read(() => ParseInterval(ViewerFilters.Single(query, "interval")));
            errors.ThrowIfAny();
            var scanLimit = Math.Max(1, options.Value.StatsScanLimit);

            var until = filters.Until ?? now;
            var counted = filters.ToQuery(limit: null, oldestFirst: false, withCursor: false) with { Until = until };
            if (!new LogFilter(counted).ReadsContent) return await FromCountsAsync(store, counted, requestedInterval, context).ConfigureAwait(false);

            var samples = new List<(DateTime Time, MonarchLogLevel Level)>();
            var capped = false;
            var partitionErrors = new ConcurrentQueue<PartitionError>();
            await foreach (var entry in store.QueryAsync(filters.ToQuery(limit: null, oldestFirst: false, withCursor: false), partitionErrors.Enqueue, context.RequestAborted).ConfigureAwait(false))
            {
                if (samples.Count == scanLimit)
                {
                    capped = true;
                    break;
                }

                samples.Add((entry.Timestamp, entry.Level));
            }

            // Without a lower bound the chart starts at the oldest entry it read.
            var since = filters.Since ?? (samples.Count > 0 ? samples.Min(s => s.Time) : until.AddHours(-1));
            if (since < LogFilter.EarliestTime) since = LogFilter.EarliestTime;   // an entry's own time field may claim anything
            if (since >= until) since = until.AddSeconds(-1);
            var intervalSeconds = requestedInterval ?? ChooseInterval(until - since);
            var interval = TimeSpan.FromSeconds(intervalSeconds);

            // Buckets are aligned to whole intervals since the Unix epoch, so that two charts of
            // overlapping ranges put the same entries into the same buckets.
            var firstStart = AlignDown(since, interval);
            var bucketCount = (long)Math.Ceiling((until - firstStart).Ticks / (double)interval.Ticks);
            if (bucketCount > MaxBuckets)
            {
                throw new BadParameterException("interval", "InvalidInterval",
                    $"An interval of {Describe(intervalSeconds)} makes {bucketCount} buckets over this time range; the most is {MaxBuckets}. Choose a longer interval or a shorter range.");
            }

            bucketCount = Math.Max(1, bucketCount);
            var counts = new long[bucketCount][];
            for (var i = 0; i < bucketCount; i++) counts[i] = new long[LogLevels.All.Count];
            var totals = new long[LogLevels.All.Count];
            var total = 0L;
            foreach (var (time, level) in samples)
            {
                // An entry stored with a server-assigned ID may carry a time outside the range.
                if (time < firstStart || time >= until) continue;
                var bucket = (time - firstStart).Ticks / interval.Ticks;
                if (bucket >= bucketCount) continue;
                counts[bucket][(int)level]++;
                totals[(int)level]++;
                total++;
            }

            var buckets = new List<StatsBucket>((int)bucketCount);
            for (var i = 0; i < bucketCount; i++) buckets.Add(new StatsBucket(firstStart + TimeSpan.FromTicks(interval.Ticks * i), counts[i]));
            var totalsByName = LogLevels.All.ToDictionary(l => l.ToString(), l => totals[(int)l]);
            DateTime? completeSince = capped ? samples[samples.Count - 1].Time : since;

            return Results.Json(new StatsResult(since, until, intervalSeconds, Describe(intervalSeconds), LogLevels.All, buckets, totalsByName, total, capped, completeSince, ViewerWarning.From(partitionErrors)), ViewerJson.Options);
        }

        /// <summary>The chart from the counts the writers keep: exact, whatever the range, no entry read.</summary>
        private static async Task<IResult> FromCountsAsync(LogStore store, LogQuery query, long? requestedInterval, HttpContext context)
        {
            var partitionErrors = new ConcurrentQueue<PartitionError>();
            long intervalSeconds = 0;
            LogCounts result;
            try
            {
                result = await store.CountAsync(query, (since, until) =>
                {
                    intervalSeconds = requestedInterval ?? ChooseInterval(until - since);
                    var buckets = (until - AlignDown(since, TimeSpan.FromSeconds(intervalSeconds))).Ticks / (double)TimeSpan.FromSeconds(intervalSeconds).Ticks;
                    if (buckets > MaxBuckets)
                    {
                        throw new BadParameterException("interval", "InvalidInterval",
                            $"An interval of {Describe(intervalSeconds)} makes {Math.Ceiling(buckets)} buckets over this time range; the most is {MaxBuckets}. Choose a longer interval or a shorter range.");
                    }

                    return TimeSpan.FromSeconds(intervalSeconds);
                }, partitionErrors.Enqueue, context.RequestAborted).ConfigureAwait(false);
            }
            catch (MonarchLogsException ex) when (ex.Kind == MonarchErrorKind.InvalidArgument)
            {
                throw new BadParameterException("interval", ex.ErrorId, ex.Message, ex);
            }

            var counts = new long[result.BucketCount][];
            for (var i = 0; i < result.BucketCount; i++) counts[i] = new long[LogLevels.All.Count];
            var totals = new long[LogLevels.All.Count];
            foreach (var partition in result.Partitions)
            {
                for (var b = 0; b < partition.Buckets.Count; b++)
                {
                    counts[b][(int)partition.Partition.Level] += partition.Buckets[b];
                    totals[(int)partition.Partition.Level] += partition.Buckets[b];
                }
            }

            var buckets = Enumerable.Range(0, result.BucketCount).Select(i => new StatsBucket(result.Origin + TimeSpan.FromTicks(result.Interval!.Value.Ticks * i), counts[i])).ToList();
            var totalsByName = LogLevels.All.ToDictionary(l => l.ToString(), l => totals[(int)l]);
            return Results.Json(new StatsResult(result.Since, result.Until, intervalSeconds, Describe(intervalSeconds), LogLevels.All, buckets, totalsByName, totals.Sum(), false, result.Since, ViewerWarning.From(partitionErrors)) { Source = "counts" }, ViewerJson.Options);
        }

        internal static long ChooseInterval(TimeSpan range)
        {
            var wanted = Math.Max(1.0, range.TotalSeconds / TargetBuckets);
            foreach (var nice in NiceIntervals)
            {
                if (nice >= wanted) return nice;
            }

            var week = 7 * 86400L;
            return (long)Math.Ceiling(wanted / week) * week;
        }

        private static long? ParseInterval(string? text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            var match = IntervalPattern.Match(text);
            var n = match.Success ? long.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
            if (n < 1)
            {
                throw new BadParameterException("interval", "InvalidInterval",
                    $"interval '{ViewerFilters.Shorten(text)}' is not a duration. Use a whole number with s, min, h, d or w, for example 30s, 5min, 1h.");
            }

            var unit = match.Groups["unit"].Value.ToLowerInvariant();
            var seconds = unit[0] switch
            {
                's' => 1L,
                'm' => 60L,
                'h' => 3600L,
                'd' => 86400L,
                _ => 7 * 86400L,
            };
            return n * seconds;
        }

        private static DateTime AlignDown(DateTime utc, TimeSpan interval)
        {
            var sinceEpoch = utc.Ticks - DateTime.UnixEpoch.Ticks;
            var aligned = sinceEpoch - (((sinceEpoch % interval.Ticks) + interval.Ticks) % interval.Ticks);
            return new DateTime(DateTime.UnixEpoch.Ticks + aligned, DateTimeKind.Utc);
        }

        internal static string Describe(long seconds)
        {
            if (seconds % 86400 == 0) return (seconds / 86400).ToString(CultureInfo.InvariantCulture) + "d";
            if (seconds % 3600 == 0) return (seconds / 3600).ToString(CultureInfo.InvariantCulture) + "h";
            if (seconds % 60 == 0) return (seconds / 60).ToString(CultureInfo.InvariantCulture) + "min";
            return seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }
    }
}
