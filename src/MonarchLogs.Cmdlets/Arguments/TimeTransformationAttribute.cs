using System;
using System.Management.Automation;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>
    /// Turns what users type for a point in time into a UTC DateTime: a DateTime (Local or
    /// Unspecified is local time), a DateTimeOffset, a TimeSpan meaning "that long ago", an
    /// unquoted <c>1d</c> (a decimal to PowerShell) meaning days ago, or text
    /// that <see cref="TimeExpression"/> reads (-1h, 30min ago, yesterday, today, ISO 8601).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class TimeTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            switch (value)
            {
                case DateTime time:
                    return time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime();
                case DateTimeOffset offset:
                    return offset.UtcDateTime;
                case TimeSpan ago:
                    return DateTime.UtcNow - ago.Duration();
                case decimal days:
                    // PowerShell reads an unquoted 1d or -2d as the decimal literal 1 or -2 (the d
                    // suffix makes a decimal), so a decimal here is a count of days ago.
                    return DateTime.UtcNow - TimeSpan.FromDays((double)Math.Abs(days));
                case int _: case long _: case double _:
                    throw new ArgumentTransformationMetadataException(
                        $"'{value}' has no unit. Write how long ago, such as 30min, 2h or 1d, or give a DateTime.");
                case string text:
                    if (TimeExpression.TryParse(text, DateTime.UtcNow, out var utc)) return utc;
                    throw new ArgumentTransformationMetadataException(
                        $"'{text}' is not a time. Use a DateTime, a TimeSpan (that long ago), or text such as -1h, 30min ago, 2d, yesterday, today, now or 2026-11-28T14:00Z.");
                default:
                    return inputData;
            }
        }
    }
}
