using System;
using System.Collections.Generic;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// A query-string parameter the API cannot use; it becomes a 400 problem with a stable error id.
    /// One exception can carry every bad parameter of a request (<see cref="Errors"/>); its own
    /// parameter, id and message are those of the first.
    /// </summary>
    internal sealed class BadParameterException : Exception
    {
        public BadParameterException(string parameter, string errorId, string message, Exception? inner = null)
            : base(message, inner)
        {
            Parameter = parameter;
            ErrorId = errorId;
            Errors = new[] { this };
        }

        private BadParameterException(IReadOnlyList<BadParameterException> errors)
            : base(errors[0].Message, errors[0])
        {
            Parameter = errors[0].Parameter;
            ErrorId = errors[0].ErrorId;
            Errors = errors;
        }

        public string Parameter { get; }

        public string ErrorId { get; }

        /// <summary>Every bad parameter of the request, in the order they were read; the first is this one's.</summary>
        public IReadOnlyList<BadParameterException> Errors { get; }

        public static BadParameterException Combine(IReadOnlyList<BadParameterException> errors)
        {
            if (errors is null || errors.Count == 0) throw new ArgumentException("No errors to combine.", nameof(errors));
            return errors.Count == 1 ? errors[0] : new BadParameterException(errors);
        }
    }
}
