using System;

namespace MonarchLogs.Viewer
{
    /// <summary>The viewer will not start as configured; the message is one line for the console.</summary>
    public sealed class ViewerStartupException : Exception
    {
        public ViewerStartupException(string message)
            : base(message)
        {
        }
    }
}
