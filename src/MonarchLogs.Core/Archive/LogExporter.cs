using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Writes the entries a query selects to an archive, oldest first, reading the store a page at
    /// a time: memory stays flat whatever the number of entries.
    /// </summary>
    internal static class LogExporter
    {
        public static async Task<ExportResult> ExportAsync(LogStore store, LogQuery query, ArchiveWriter writer, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var oldestFirst = query with { OldestFirst = true, Limit = null };
            writer.WriteHeader(new ArchiveHeader { Exported = DateTime.UtcNow, Kind = ArchiveFormat.ExportKind, Filter = query });
            // Each entry is written whole before the token is looked at again: a stop ends the file at a line's end.
            await foreach (var entry in store.QueryAsync(oldestFirst, partitionError, cancellationToken).ConfigureAwait(false))
            {
                writer.Write(entry);
            }

            return new ExportResult { Entries = writer.Entries, From = writer.First, To = writer.Last, LastId = writer.LastId };
        }
    }
}
