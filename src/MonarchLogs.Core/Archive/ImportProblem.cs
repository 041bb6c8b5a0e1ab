using System;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// One thing an import could not do: a line that is no entry (<c>InvalidImportLine</c>, its target
    /// <c>file:line</c>), or the entries of a partition the store refused (the StoreErrors id, its
    /// target the partition). The import goes on after each.
    /// </summary>
    public sealed class ImportProblem
    {
        /// <summary>A problem with <paramref name="target"/> (a <c>file:line</c> or a partition), explained by <paramref name="error"/>.</summary>
        public ImportProblem(string target, MonarchLogsException error)
        {
            Target = target ?? throw new ArgumentNullException(nameof(target));
            Error = error ?? throw new ArgumentNullException(nameof(error));
        }

        /// <summary>What the problem is about: <c>file:line</c> of a bad line, or the partition the store refused.</summary>
        public string Target { get; }

        /// <summary>The failure, with its stable error id and message.</summary>
        public MonarchLogsException Error { get; }

        /// <summary>The stable id of the failure (<c>InvalidImportLine</c> or a <see cref="StoreErrors"/> id).</summary>
        public string ErrorId => Error.ErrorId;

        /// <summary>The failure's message.</summary>
        public override string ToString() => Error.Message;
    }
}
