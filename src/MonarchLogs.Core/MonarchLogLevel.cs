namespace MonarchLogs.Core
{
    /// <summary>
    /// The severity of an entry. The values match Microsoft.Extensions.Logging.LogLevel, so the
    /// provider converts by cast; the store engine does not depend on the logging framework.
    /// </summary>
    public enum MonarchLogLevel
    {
        Trace = 0,
        Debug = 1,
        Information = 2,
        Warning = 3,
        Error = 4,
        Critical = 5,
    }
}
