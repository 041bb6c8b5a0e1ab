using System;
using System.IO;

namespace MonarchLogs.Core.Archive
{
    /// <summary>Reads an archive file back whole, as an import would, and checks it holds what was written.</summary>
    internal static class ArchiveVerifier
    {
        /// <summary>Null when the file reads back with a header, exactly <paramref name="entries"/> entry lines and <paramref name="lastId"/> last; else what is wrong.</summary>
        public static string? Verify(string path, long entries, string? lastId)
        {
            try
            {
                using var stream = ArchiveFormat.OpenRead(path);
                var reader = new LineReader(stream, LogImporter.MaxLineBytes);
                var defaults = new ImportDefaults();
                long count = 0;
                string? last = null;
                var first = true;
                while (reader.TryReadLine(out var line, out var tooLong))
                {
                    if (tooLong) return $"line {reader.LineNumber} is longer than the import reads";
                    var kind = ImportLine.Parse(line, defaults, out var entry, out _, out var problem);
                    if (first)
                    {
                        if (kind != ImportLineKind.Header) return "the first line is not an archive header";
                        first = false;
                        continue;
                    }

                    if (kind != ImportLineKind.Entry) return $"line {reader.LineNumber} does not read as an entry ({problem ?? kind.ToString()})";
                    count++;
                    last = entry!.Id;
                }

                if (first) return "the file is empty";
                if (count != entries) return $"it holds {count} entries, not the {entries} written";
                if (!string.Equals(last, lastId, StringComparison.Ordinal)) return $"its last entry is {last}, not {lastId}";
                return null;
            }
            catch (Exception ex) when (ex is IOException || ex is InvalidDataException || ex is UnauthorizedAccessException || ex is MonarchLogsException)
            {
                return ex.GetType().Name + ": " + ex.Message;
            }
        }
    }
}
