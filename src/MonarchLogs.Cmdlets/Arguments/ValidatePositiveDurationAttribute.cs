using System;
using System.Management.Automation;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>Rejects a zero or negative TimeSpan.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class ValidatePositiveDurationAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            var value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
            if (value is TimeSpan span && span <= TimeSpan.Zero)
            {
                throw new ValidationMetadataException($"The duration must be greater than zero; got {span}.");
            }
        }
    }
}
