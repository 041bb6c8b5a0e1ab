using System;
using System.Threading;

namespace MonarchLogs.Core.Archive
{
    /// <summary>How far an import is; the importer counts on its thread, a caller may read from another.</summary>
    public sealed class ImportProgress
    {
        private long _bytesRead;
        private long _read;
        private long _imported;
        private long _skipped;
        private long _failed;

        /// <summary>Bytes of the file read so far (decompressed bytes for a gzip file).</summary>
        public long BytesRead => Interlocked.Read(ref _bytesRead);

        /// <summary>Entry lines read so far, good or bad (the header and blank lines not counted).</summary>
        public long Read => Interlocked.Read(ref _read);

        /// <summary>Entries stored so far.</summary>
        public long Imported => Interlocked.Read(ref _imported);

        /// <summary>Entries skipped so far because the store already held them.</summary>
        public long Skipped => Interlocked.Read(ref _skipped);

        /// <summary>Lines that were no entry, and entries the store refused, so far.</summary>
        public long Failed => Interlocked.Read(ref _failed);

        internal void SetBytesRead(long bytes) => Interlocked.Exchange(ref _bytesRead, bytes);

        internal void AddRead(long count) => Interlocked.Add(ref _read, count);

        internal void AddImported(long count) => Interlocked.Add(ref _imported, count);

        internal void AddSkipped(long count) => Interlocked.Add(ref _skipped, count);

        internal void AddFailed(long count) => Interlocked.Add(ref _failed, count);
    }

    /// <summary>What one file's import did: Read = Imported + Skipped + Failed.</summary>
    public sealed class ImportResult
    {
        /// <summary>Entry lines read, good or bad (the header and blank lines not counted).</summary>
        public long Read { get; init; }

        /// <summary>Entries stored.</summary>
        public long Imported { get; init; }

        /// <summary>Entries the store already held (duplicates), not stored again.</summary>
        public long Skipped { get; init; }

        /// <summary>Lines that are no entry, and entries the store refused.</summary>
        public long Failed { get; init; }

        /// <summary>
        /// Entries older than the newest entry their partition held before the import: the store
        /// put them right after that entry instead of at their event time (docs/storage-format.md).
        /// </summary>
        public long Displaced { get; init; }

        /// <summary>The event time of the oldest entry read.</summary>
        public DateTime? From { get; init; }

        /// <summary>The event time of the newest entry read.</summary>
        public DateTime? To { get; init; }

        /// <summary>The archive header, when the file has one.</summary>
        public ArchiveHeader? Header { get; init; }
    }

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
