using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Reads the times users type: <c>-1h</c>, <c>30min ago</c>, <c>2d</c>, <c>yesterday</c>,
    /// <c>today</c>, <c>now</c>, or ISO 8601. A bare duration means "that long ago". Times
    /// without a zone are local to the machine, as PowerShell's Get-Date is; results are UTC.
    /// </summary>
    public static class TimeExpression
    {
        private static readonly Regex Relative = new Regex(
            @"^\s*-?\s*(?<n>\d+(\.\d+)?)\s*(?<unit>ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*(ago)?\s*$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>The error id of text that is no time expression.</summary>
        public const string InvalidErrorId = "InvalidTimeExpression";

        /// <summary>The error id of a time before 1970-01-01T00:00Z or after the end of year 9999.</summary>
        public const string OutOfRangeErrorId = "TimeOutOfRange";

        /// <summary>Longer text is no time this class reads (an ISO 8601 time with zone is 33 characters).</summary>
        private const int MaxLength = 64;

        private enum Outcome
        {
            Time,
            NotATime,
            OutOfRange,
        }

        /// <summary>A length of time as text, such as 30s, 5min, 1h, 1.5d or 1w (the units of a duration ago).</summary>
        public static bool TryParseDuration(string? text, out TimeSpan duration)
        {
            duration = default;
            if (string.IsNullOrWhiteSpace(text) || text!.Length > MaxLength || text.TrimStart().StartsWith("-", StringComparison.Ordinal)) return false;
            var match = Relative.Match(text);
            if (!match.Success || match.Value.IndexOf("ago", StringComparison.OrdinalIgnoreCase) >= 0) return false;
            if (!double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            var ticks = n * UnitTicks(match.Groups["unit"].Value.ToLowerInvariant());
            if (double.IsNaN(ticks) || ticks < 1 || ticks > TimeSpan.MaxValue.Ticks / 2) return false;
            duration = TimeSpan.FromTicks((long)ticks);
            return true;
        }

        /// <summary>Whether the text is a time; false for nonsense and for a time before year 1 or after 9999.</summary>
        public static bool TryParse(string? text, DateTime nowUtc, out DateTime utc) => Read(text, nowUtc, out utc) == Outcome.Time;

        /// <exception cref="MonarchLogsException"><c>InvalidTimeExpression</c> for nonsense, <c>TimeOutOfRange</c> for a duration that reaches before year 1.</exception>
        public static DateTime Parse(string text, DateTime nowUtc)
        {
            switch (Read(text, nowUtc, out var utc))
            {
                case Outcome.Time:
                    return utc;
                case Outcome.OutOfRange:
                    throw new MonarchLogsException(OutOfRangeErrorId, MonarchErrorKind.InvalidArgument,
                        $"'{DisplayText.Quote(text)}' reaches outside the times the store can hold ({LogFilter.EarliestTime:yyyy-MM-dd} to {LogFilter.LatestTime:yyyy-MM-dd}). To read from the oldest entry, leave the start of the range out.");
                default:
                    throw new MonarchLogsException(InvalidErrorId, MonarchErrorKind.InvalidArgument,
                        $"'{DisplayText.Quote(text)}' is not a time. Use a date (2026-11-28T14:00Z), a duration ago (-1h, 30min ago, 2d), today, yesterday or now.");
            }
        }

        private static Outcome Read(string? text, DateTime nowUtc, out DateTime utc)
        {
            utc = default;
            if (string.IsNullOrWhiteSpace(text)) return Outcome.NotATime;
            var trimmed = text!.Trim();
            if (trimmed.Length > MaxLength) return Outcome.NotATime;
            var localToday = nowUtc.ToLocalTime().Date;
            switch (trimmed.ToLowerInvariant())
            {
                case "now": utc = nowUtc; return Outcome.Time;
                case "today": utc = localToday.ToUniversalTime(); return Outcome.Time;
                case "yesterday": utc = localToday.AddDays(-1).ToUniversalTime(); return Outcome.Time;
            }

            var match = Relative.Match(trimmed);
            if (match.Success)
            {
                if (!double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return Outcome.OutOfRange;
                // Counted in ticks as a double, so that a huge number is out of range instead of an overflow.
                var ticksAgo = n * UnitTicks(match.Groups["unit"].Value.ToLowerInvariant());
                if (double.IsNaN(ticksAgo) || ticksAgo > nowUtc.Ticks) return Outcome.OutOfRange;
                utc = new DateTime(nowUtc.Ticks - (long)ticksAgo, DateTimeKind.Utc);
                return Outcome.Time;
            }

            if (DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var absolute))
            {
                utc = absolute.UtcDateTime;
                return Outcome.Time;
            }

            return Outcome.NotATime;
        }

        private static double UnitTicks(string unit)
        {
            if (unit == "ms" || unit.StartsWith("milli", StringComparison.Ordinal)) return TimeSpan.TicksPerMillisecond;
            switch (unit[0])
            {
                case 's': return TimeSpan.TicksPerSecond;
                case 'm': return TimeSpan.TicksPerMinute;
                case 'h': return TimeSpan.TicksPerHour;
                case 'd': return TimeSpan.TicksPerDay;
                default: return 7.0 * TimeSpan.TicksPerDay;
            }
        }
    }
}
