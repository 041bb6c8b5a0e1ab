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
}
