using System;
using System.Collections.Generic;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// The bad parameters of one request, collected as each is read, so that the answer names all
    /// of them at once instead of only the first (a caller would otherwise fix them one round trip
    /// at a time).
    /// </summary>
    internal sealed class ParameterErrors
    {
        private readonly List<BadParameterException> _errors = new List<BadParameterException>();

        public bool Any => _errors.Count > 0;

        /// <summary>What <paramref name="parse"/> reads; when the parameter is bad, its error is kept and the default returned.</summary>
        public T? Read<T>(Func<T> parse)
        {
            try
            {
                return parse();
            }
            catch (BadParameterException ex)
            {
                _errors.AddRange(ex.Errors);
                return default;
            }
        }

        public void Add(BadParameterException error) => _errors.AddRange(error.Errors);

        /// <summary>Before any work: one exception that carries every error collected.</summary>
        public void ThrowIfAny()
        {
            if (_errors.Count > 0) throw BadParameterException.Combine(_errors.ToArray());
        }
    }
}
