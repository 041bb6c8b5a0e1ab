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

        public static bool TryParse(string? text, DateTime nowUtc, out DateTime utc)
        {
            utc = default;
            if (string.IsNullOrWhiteSpace(text)) return false;
            var trimmed = text!.Trim();
            var localToday = nowUtc.ToLocalTime().Date;
            switch (trimmed.ToLowerInvariant())
            {
                case "now": utc = nowUtc; return true;
                case "today": utc = localToday.ToUniversalTime(); return true;
                case "yesterday": utc = localToday.AddDays(-1).ToUniversalTime(); return true;
            }

            var match = Relative.Match(trimmed);
            if (match.Success)
            {
                var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
                utc = nowUtc - Unit(match.Groups["unit"].Value.ToLowerInvariant(), n);
                return true;
            }

            if (DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var absolute))
            {
                utc = absolute.UtcDateTime;
                return true;
            }

            return false;
        }

        public static DateTime Parse(string text, DateTime nowUtc)
        {
            if (TryParse(text, nowUtc, out var utc)) return utc;
            throw new MonarchLogsException("InvalidTimeExpression", MonarchErrorKind.InvalidArgument,
                $"'{text}' is not a time. Use a date (2026-11-28T14:00Z), a duration ago (-1h, 30min ago, 2d), today, yesterday or now.");
        }

        private static TimeSpan Unit(string unit, double n)
        {
            if (unit == "ms" || unit.StartsWith("milli", StringComparison.Ordinal)) return TimeSpan.FromMilliseconds(n);
            switch (unit[0])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
                default: return TimeSpan.FromDays(7 * n);
            }
        }
    }
}
