using System;
using System.Management.Automation;
using MonarchLogs.Core;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>
    /// Accepts the level names users type, case-insensitive: Trace, Debug, Information or Info,
    /// Warning or Warn, Error, Critical or Fatal (<see cref="LogLevels.TryParse"/>).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class ValidateLogLevelAttribute : ValidateEnumeratedArgumentsAttribute
    {
        protected override void ValidateElement(object element)
        {
            var text = (element is PSObject wrapped ? wrapped.BaseObject : element) as string;
            if (!LogLevels.TryParse(text, out _))
            {
                throw new ValidationMetadataException(
                    $"'{text}' is not a log level. Use Trace, Debug, Information (Info), Warning (Warn), Error or Critical (Fatal).");
            }
        }
    }
}
