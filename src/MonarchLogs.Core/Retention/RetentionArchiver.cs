using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// Archives the expired entries of one partition before removing them: one gzip JSON Lines file
    /// per UTC day of their IDs (<see cref="ArchiveFormat.DailyFileName"/>), each written under a
    /// temporary name, read back and checked (entry count and last Id), then given its name. Only
    /// then is the partition trimmed, to the last archived Id and never beyond: entries that
    /// arrive meanwhile have later IDs and stay, and a file that fails its check stops the
    /// removal at its day.
    /// </summary>
    internal static class RetentionArchiver
    {
        public const string WriteFailedErrorId = "ArchiveWriteFailed";
        public const string VerificationFailedErrorId = "ArchiveVerificationFailed";
        private const int PageSize = 1000;
        private const string PartialExtension = ".partial";

        public static async Task<RetentionArchiveResult> ArchiveAndTrimAsync(IDatabase db, StorageFormat format, Partition partition, DateTime cutoffUtc, string folder, CancellationToken cancellationToken)
        {
            var key = (RedisKey)partition.StreamKey;
            var high = (RedisValue)("(" + StreamId.FromTime(cutoffUtc));
            RedisValue low = "-";
            var files = new List<ArchiveFileInfo>();
            MonarchLogsException? failure = null;
            DayFile? day = null;
            StreamId? lastArchived = null;
            long archived = 0;
            try
            {
                while (failure is null)
                {
                    var page = await db.StreamRangeAsync(key, low, high, PageSize).WithCancellation(cancellationToken).ConfigureAwait(false);
                    foreach (var item in page)
                    {
                        StreamId.TryParse(item.Id, out var id);
                        var date = StreamId.ToUtcTime(id.Milliseconds).Date;
                        if (day is not null && day.Date != date)
                        {
                            if (!Finish(day, files, ref failure)) break;
                            lastArchived = day.LastId;
                            archived += day.Writer.Entries;
                            day = null;
                        }

                        if (day is null && !Open(format, partition, cutoffUtc, folder, date, out day, ref failure)) break;
                        try
                        {
                            var entry = Version1Entry.Decode(partition, item);
                            day!.Writer.Write(entry);
                            day.FirstEntryId ??= entry.Id;
                            day.LastId = id;
                        }
                        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                        {
                            failure = WriteFailed(day!.PartialPath, ex);
                            break;
                        }
                    }

                    if (failure is not null || page.Length < PageSize) break;
                    low = "(" + page[page.Length - 1].Id;
                }

                if (failure is null && day is not null)
                {
                    if (Finish(day, files, ref failure))
                    {
                        lastArchived = day.LastId;
                        archived += day.Writer.Entries;
                    }

                    day = null;
                }
            }
            finally
            {
                // A day not finished (a failure, a stop) leaves no file behind.
                if (day is not null) Discard(day);
            }

            RetentionResult? trimmed = null;
            if (lastArchived is { } last)
            {
                trimmed = await RetentionTrimmer.TrimAsync(db, partition, last.Next(), cancellationToken).ConfigureAwait(false);
            }

            return new RetentionArchiveResult
            {
                Partition = partition,
                ArchivedEntries = archived,
                RemovedEntries = trimmed?.RemovedEntries ?? 0,
                BytesReclaimed = trimmed?.BytesReclaimed ?? 0,
                TrimCommands = trimmed?.TrimCommands ?? 0,
                Files = files,
                Failure = failure,
            };
        }

        internal static bool Open(StorageFormat format, Partition partition, DateTime cutoffUtc, string folder, DateTime date, out DayFile? day, ref MonarchLogsException? failure)
        {
            day = null;
            var partial = Path.Combine(folder, ArchiveFormat.DailyFileName(format.Prefix, partition, date) + "." + Guid.NewGuid().ToString("N") + PartialExtension);
            try
            {
                var writer = ArchiveWriter.Create(partial, overwrite: false, compress: true);
                var until = date.AddDays(1) < cutoffUtc ? date.AddDays(1) : cutoffUtc;
                writer.WriteHeader(new ArchiveHeader
                {
                    Exported = DateTime.UtcNow,
                    Kind = ArchiveFormat.RetentionKind,
                    Partition = partition,
                    Filter = new LogQuery { Since = date, Until = until, Levels = new[] { partition.Level } },
                });
                day = new DayFile(folder, format.Prefix, partition, date, partial, writer);
                return true;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                failure = WriteFailed(partial, ex);
                TryDelete(partial);
                return false;
            }
        }

        /// <summary>Closes the day's file, checks it and gives it its name; false (and the failure) when any of that fails.</summary>
        internal static bool Finish(DayFile day, List<ArchiveFileInfo> files, ref MonarchLogsException? failure)
        {
            var entries = day.Writer.Entries;
            var firstId = day.FirstEntryId;
            var lastId = day.Writer.LastId;
            try
            {
                day.Writer.Dispose();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                failure = WriteFailed(day.PartialPath, ex);
                TryDelete(day.PartialPath);
                return false;
            }

            var problem = ArchiveVerifier.Verify(day.PartialPath, entries, lastId);
            if (problem is not null)
            {
                failure = new MonarchLogsException(VerificationFailedErrorId, MonarchErrorKind.InvalidData,
                    $"The archive file {day.PartialPath} did not read back as written ({problem}); the entries of {day.Date:yyyy-MM-dd} and later stay in the store. The file is kept for inspection.");
                return false;
            }

            string final;
            try
            {
                final = Rename(day.PartialPath, day.FinalPathFor);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                failure = WriteFailed(day.PartialPath, ex);
                TryDelete(day.PartialPath);
                return false;
            }

            files.Add(new ArchiveFileInfo
            {
                Path = final,
                Day = day.Date,
                Entries = entries,
                Bytes = new FileInfo(final).Length,
                FirstId = firstId ?? string.Empty,
                LastId = lastId ?? string.Empty,
            });
            return true;
        }

        /// <summary>Gives the checked file the first free name of its day: the plain one, else _2, _3, …; an archive file is never overwritten.</summary>
        private static string Rename(string partial, Func<int, string> finalPath)
        {
            for (var copy = 1; ; copy++)
            {
                var final = finalPath(copy);
                if (File.Exists(final) || Directory.Exists(final)) continue;
                try
                {
                    File.Move(partial, final);
                    return final;
                }
                catch (IOException) when (File.Exists(final) && copy < 10_000)
                {
                    // Another run took the name in the meantime.
                }
            }
        }

        internal static void Discard(DayFile day)
        {
            try
            {
                day.Writer.Dispose();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
            }

            TryDelete(day.PartialPath);
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
            }
        }

        internal static MonarchLogsException WriteFailed(string path, Exception ex) =>
            new MonarchLogsException(WriteFailedErrorId, MonarchErrorKind.InvalidData,
                $"Could not write the archive file {path}: {StoreErrors.FirstLine(ex.Message)} Nothing of that day or later was removed.", ex);

        internal sealed class DayFile
        {
            private readonly string _folder;
            private readonly string _prefix;
            private readonly Partition _partition;

            public DayFile(string folder, string prefix, Partition partition, DateTime date, string partialPath, ArchiveWriter writer)
            {
                _folder = folder;
                _prefix = prefix;
                _partition = partition;
                Date = date;
                PartialPath = partialPath;
                Writer = writer;
            }

            public DateTime Date { get; }

            public string PartialPath { get; }

            public ArchiveWriter Writer { get; }

            public string? FirstEntryId { get; set; }

            /// <summary>The stream ID of the last entry written.</summary>
            public StreamId LastId { get; set; }

            /// <summary>The day's final name, for the given copy number.</summary>
            public string FinalPathFor(int copy) => Path.Combine(_folder, ArchiveFormat.DailyFileName(_prefix, _partition, Date, copy));
        }
    }
}
