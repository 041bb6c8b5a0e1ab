using System;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// The first line of an archive file (docs/storage-format.md, "Archive files"): what wrote it,
    /// when, from which storage format, and which entries it was asked for.
    /// </summary>
    public sealed class ArchiveHeader
    {
        /// <summary>The archive format of the file; this version writes and reads <see cref="ArchiveFormat.Version"/>.</summary>
        public int Version { get; init; } = ArchiveFormat.Version;

        /// <summary>The storage format version of the store the entries came from.</summary>
        public string StorageFormat { get; init; } = Format.StorageFormat.Version;

        /// <summary>When the file was written, UTC.</summary>
        public DateTime Exported { get; init; }

        /// <summary>What wrote it: <see cref="ArchiveFormat.ExportKind"/> or <see cref="ArchiveFormat.RetentionKind"/>.</summary>
        public string Kind { get; init; } = ArchiveFormat.ExportKind;

        /// <summary>The filter the entries were selected by, when writing; null when reading (see <see cref="FilterJson"/>).</summary>
        public LogQuery? Filter { get; init; }

        /// <summary>The filter as the file holds it, one JSON object; empty when writing.</summary>
        public string FilterJson { get; init; } = string.Empty;

        /// <summary>For a retention archive, the one partition it holds.</summary>
        public Partition? Partition { get; init; }
    }
}
