using System;

namespace MonarchLogs.Web.Api
{
    /// <summary>A query-string parameter the API cannot use; it becomes a 400 problem with a stable error id.</summary>
    internal sealed class BadParameterException : Exception
    {
        public BadParameterException(string parameter, string errorId, string message, Exception? inner = null)
            : base(message, inner)
        {
            Parameter = parameter;
            ErrorId = errorId;
        }

        public string Parameter { get; }

        public string ErrorId { get; }
    }
}
