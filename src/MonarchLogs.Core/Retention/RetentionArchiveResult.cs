using System;
using System.Collections.Generic;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Retention
{
    /// <summary>What archiving and then removing the expired entries of one partition did.</summary>
    public sealed class RetentionArchiveResult
    {
        /// <summary>The partition archived and trimmed.</summary>
        public Partition Partition { get; init; } = null!;

        /// <summary>Entries written to verified archive files.</summary>
        public long ArchivedEntries { get; init; }

        /// <summary>Entries removed: exactly those archived (in a format 2 store whole blocks go: after a <see cref="Failure"/>, a block with entries of the failed day stays, with its entries of the days before, which were archived).</summary>
        public long RemovedEntries { get; init; }

        /// <summary>The memory the stream gave back, as MEMORY USAGE saw it before and after.</summary>
        public long BytesReclaimed { get; init; }

        /// <summary>Server commands sent to trim, each bounded in work.</summary>
        public int TrimCommands { get; init; }

        /// <summary>The verified files, oldest day first.</summary>
        public IReadOnlyList<ArchiveFileInfo> Files { get; init; } = Array.Empty<ArchiveFileInfo>();

        /// <summary>
        /// Why archiving stopped before the cutoff (<c>ArchiveWriteFailed</c>, <c>ArchiveVerificationFailed</c>);
        /// null when every expired entry was archived. Entries from the failed day on were not removed.
        /// </summary>
        public MonarchLogsException? Failure { get; init; }
    }
}
