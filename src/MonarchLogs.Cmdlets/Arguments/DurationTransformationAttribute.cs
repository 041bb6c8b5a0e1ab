using System;
using System.Globalization;
using System.Management.Automation;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>
    /// Reads a duration as a TimeSpan or as a number of seconds (10, 2.5, '30'), so that
    /// <c>-Timeout 30</c> and <c>-Timeout (New-TimeSpan -Minutes 1)</c> both work.
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
                case int or long or short or byte or double or float or decimal:
                    return FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                case string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds):
                    return FromSeconds(seconds);
                case string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed):
                    return parsed;
                case string text:
                    throw new ArgumentTransformationMetadataException($"'{text}' is not a duration. Use a number of seconds (30) or a TimeSpan (00:01:30).");
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
