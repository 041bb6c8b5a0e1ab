using System;
using System.Management.Automation;

namespace MonarchLogs.Cmdlets.Viewer
{
    /// <summary>The viewer could not be started; the cmdlet turns this into an ErrorRecord with <see cref="ErrorId"/>.</summary>
    internal sealed class ViewerStartException : Exception
    {
        public ViewerStartException(string errorId, ErrorCategory category, string message)
            : base(message)
        {
            ErrorId = errorId;
            Category = category;
        }

        public string ErrorId { get; }

        public ErrorCategory Category { get; }
    }
}
