using System;
using System.Globalization;
using System.Management.Automation;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>
    /// Reads a duration as a TimeSpan, a number of seconds (10, 2.5, '30') or a length with a
    /// unit ('5min', '1h', '1d'; an unquoted 1d, which PowerShell reads as a decimal, is a day),
    /// so that <c>-Timeout 30</c>, <c>-Interval 1h</c>, <c>-Interval 1d</c> and
    /// <c>-Timeout (New-TimeSpan -Minutes 1)</c> all work.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            switch (value)
            {
                case TimeSpan span:
                    return span;
                case decimal days:
                    // PowerShell reads an unquoted 1d as the decimal number 1: days, as -Since reads it.
                    return FromSeconds((double)days * 86400);
                case int or long or short or byte or double or float:
                    return FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                case string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds):
                    return FromSeconds(seconds);
                case string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed):
                    return parsed;
                case string text when MonarchLogs.Core.Query.TimeExpression.TryParseDuration(text, out var written):
                    return written;
                case string text:
                    throw new ArgumentTransformationMetadataException($"'{MonarchLogs.Core.DisplayText.Quote(text)}' is not a duration. Use a number of seconds (30), a TimeSpan (00:01:30) or a length with a unit (5min, 1h, 1d).");
                default:
                    return inputData;
            }
        }

        private static TimeSpan FromSeconds(double seconds)
        {
            if (double.IsNaN(seconds) || double.IsInfinity(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                throw new ArgumentTransformationMetadataException($"{seconds} seconds is not a usable duration.");
            }

            return TimeSpan.FromSeconds(seconds);
        }
    }
}
