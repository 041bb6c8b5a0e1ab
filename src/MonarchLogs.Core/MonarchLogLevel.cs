namespace MonarchLogs.Core
{
    /// <summary>
    /// The severity of an entry. The values match Microsoft.Extensions.Logging.LogLevel, so the
    /// provider converts by cast; the store engine does not depend on the logging framework.
    /// </summary>
    public enum MonarchLogLevel
    {
        /// <summary>The most detailed messages; Microsoft.Extensions.Logging's Trace.</summary>
        Trace = 0,
        /// <summary>Messages for debugging.</summary>
        Debug = 1,
        /// <summary>The normal flow of the service.</summary>
        Information = 2,
        /// <summary>Something unexpected that did not stop the work.</summary>
        Warning = 3,
        /// <summary>A failure of the current operation.</summary>
        Error = 4,
        /// <summary>A failure that needs attention at once: the service or the machine is in trouble.</summary>
        Critical = 5,
    }
}
