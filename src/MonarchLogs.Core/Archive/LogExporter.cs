using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Writes the entries a query selects to an archive, oldest first, reading them a page at a
    /// time through <c>read</c> (the store's query): memory stays flat whatever the number of entries.
    /// </summary>
    internal static class LogExporter
    {
        /// <param name="read">Reads the entries of a query lazily, as the store holds them (payload lines are copied without decoding them); it is given the query oldest first, without a limit.</param>
        /// <param name="query">The query the archive's header records.</param>
        /// <param name="writer">The archive.</param>
        public static async Task<ExportResult> ExportAsync(Func<LogQuery, IAsyncEnumerable<StoredEntry>> read, LogQuery query, ArchiveWriter writer)
        {
            var oldestFirst = query with { OldestFirst = true, Limit = null };
            writer.WriteHeader(new ArchiveHeader { Exported = DateTime.UtcNow, Kind = ArchiveFormat.ExportKind, Filter = query });
            // Each entry is written whole before the token is looked at again: a stop ends the file at a line's end.
            await foreach (var entry in read(oldestFirst).ConfigureAwait(false))
            {
                writer.Write(in entry);
            }

            return new ExportResult { Entries = writer.Entries, From = writer.First, To = writer.Last, LastId = writer.LastId };
        }
    }
}
