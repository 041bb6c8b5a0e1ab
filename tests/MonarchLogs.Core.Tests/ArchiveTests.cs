using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>The archive format, its reading and checking, and the import's duplicate detection, against a real Valkey where a store is involved.</summary>
    public sealed class ArchiveTests : IClassFixture<ValkeyFixture>, IDisposable
    {
        private readonly ValkeyFixture _valkey;
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "monarchlogs-archive-" + Guid.NewGuid().ToString("N"));

        public ArchiveTests(ValkeyFixture valkey)
        {
            _valkey = valkey;
            Directory.CreateDirectory(_folder);
        }

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        [Fact]
        public void Lines_are_read_whole_across_buffers_with_CRLF_a_BOM_and_no_final_line_feed()
        {
            var longLine = new string('x', 200_000);
            var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("first\r\n\n" + longLine + "\nlast")).ToArray();
            var reader = new LineReader(new MemoryStream(bytes), maxLineBytes: 1 << 20);
            var lines = new List<string>();
            while (reader.TryReadLine(out var line, out var tooLong))
            {
                Assert.False(tooLong);
                lines.Add(Encoding.UTF8.GetString(line.Span));
            }

            Assert.Equal(new[] { "first", string.Empty, longLine, "last" }, lines);
            Assert.Equal(4, reader.LineNumber);
        }

        [Fact]
        public void A_line_over_the_limit_is_skipped_to_its_end_and_reported_and_the_next_one_read()
        {
            var bytes = Encoding.UTF8.GetBytes("a\n" + new string('x', 300_000) + "\nb\n");
            var reader = new LineReader(new MemoryStream(bytes), maxLineBytes: 100_000);
            var seen = new List<(long, bool, string)>();
            while (reader.TryReadLine(out var line, out var tooLong)) seen.Add((reader.LineNumber, tooLong, Encoding.UTF8.GetString(line.Span)));
            Assert.Equal(new[] { (1L, false, "a"), (2L, true, string.Empty), (3L, false, "b") }, seen);
        }

        [Theory]
        [InlineData("orders", "orders")]
        [InlineData("monarch:logs", "monarch%3Alogs")]
        [InlineData("web_api", "web%5Fapi")]
        [InlineData("50%", "50%25")]
        [InlineData(".hidden", "%2Ehidden")]
        [InlineData("a/b\\c", "a%2Fb%5Cc")]
        [InlineData("é", "%C3%A9")]
        public void File_name_parts_keep_letters_digits_dash_and_dot_and_escape_the_rest(string text, string escaped)
        {
            Assert.Equal(escaped, ArchiveFormat.EscapeFileNamePart(text));
        }

        [Fact]
        public void Written_entries_read_back_exactly_and_a_truncated_file_fails_its_check()
        {
            var path = Path.Combine(_folder, "a.jsonl.gz");
            var entries = Enumerable.Range(0, 50).Select(i => new MonarchLogEntry
            {
                Id = $"{1764340087123 + i}-0@orders/error",
                Timestamp = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc).AddTicks(1234567 + i),
                Level = MonarchLogLevel.Error,
                Service = "orders",
                Message = "line\n\u001b[31mred\u202e " + i,
                Properties = "{\"I\":" + i + "}",
                Host = "h",
            }).ToList();
            using (var writer = ArchiveWriter.Create(path, overwrite: false))
            {
                writer.WriteHeader(new ArchiveHeader { Exported = DateTime.UtcNow, Filter = new LogQuery { Services = new[] { "orders" } } });
                foreach (var entry in entries) writer.Write(entry);
            }

            Assert.Null(ArchiveVerifier.Verify(path, 50, entries[49].Id));
            Assert.NotNull(ArchiveVerifier.Verify(path, 49, entries[49].Id));
            Assert.NotNull(ArchiveVerifier.Verify(path, 50, entries[48].Id));

            using (var stream = ArchiveFormat.OpenRead(path))
            {
                var reader = new LineReader(stream, 1 << 20);
                Assert.True(reader.TryReadLine(out var headerLine, out _));
                Assert.Equal(ImportLineKind.Header, ImportLine.Parse(headerLine, new ImportDefaults(), out _, out var header, out _));
                Assert.Equal("{\"services\":[\"orders\"]}", header!.FilterJson);
                for (var i = 0; i < 50; i++)
                {
                    Assert.True(reader.TryReadLine(out var line, out _));
                    Assert.Equal(ImportLineKind.Entry, ImportLine.Parse(line, new ImportDefaults(), out var read, out _, out _));
                    Assert.Equal(entries[i].Timestamp.Ticks, read!.Timestamp.Ticks);
                    Assert.Equal(entries[i].Message, read.Message);
                    Assert.Equal(entries[i].Properties, read.Properties);
                    Assert.Equal(entries[i].Id, read.Id);
                }
            }

            // Cut inside the compressed data: the check must not pass, whatever the decompressor makes of it.
            var bytes = File.ReadAllBytes(path);
            var truncated = Path.Combine(_folder, "b.jsonl.gz");
            File.WriteAllBytes(truncated, bytes.Take(bytes.Length - 30).ToArray());
            Assert.NotNull(ArchiveVerifier.Verify(truncated, 50, entries[49].Id));
        }

        // Format 1: the import finds duplicates by ID range.
        [Fact]
        public void A_compressed_archive_whose_file_fails_throws_from_its_writes_or_its_close_never_silently()
        {
            var file = new FailingStream(failAfter: 100_000);
            var writer = new ArchiveWriter(file, compress: true);
            var random = new Random(1);
            var failure = Record.Exception(() =>
            {
                for (var i = 0; i < 20_000; i++)
                {
                    var noise = new byte[2000];
                    random.NextBytes(noise);
                    writer.Write(new MonarchLogEntry { Timestamp = DateTime.UtcNow, Service = "s", Message = Convert.ToBase64String(noise) });
                }

                writer.Dispose();
            });
            Assert.IsType<IOException>(failure);
        }

        [Fact]
        public async Task An_import_into_a_store_of_format_1_is_refused_before_anything_is_written()
        {
            // A store an older version wrote; this version imports into format 2 only (BlockImportTests).
            var store = _valkey.NewStore().AsVersion1();
            var time = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
            await store.AppendAsync(new[] { new MonarchLogEntry { Service = "svc", Level = MonarchLogLevel.Information, Timestamp = time, Message = "there" } });
            var importer = new LogStore(_valkey.Connection, store.Format);
            var progress = new ImportProgress();
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => importer.ImportAsync(new MemoryStream(Archive(Line(time.AddSeconds(1), "a"))), "f", new ImportDefaults(), progress, null));
            Assert.Equal(StoreErrors.NeedsUpgrade, refused.ErrorId);
            Assert.Contains("Update-MonarchLogStore", refused.Message, StringComparison.Ordinal);
            Assert.Equal(0L, progress.Read);
            Assert.Equal(new[] { "there" }, (await store.ToListAsync(new LogQuery())).Select(e => e.Message));
        }

        [Fact]
        public async Task An_import_that_meets_a_refused_partition_reports_it_once_with_its_count_and_imports_the_rest()
        {
            var store = _valkey.NewStore();
            var db = _valkey.Connection.GetDatabase();
            var broken = store.Format.GetPartition("broken", MonarchLogLevel.Information);
            await db.StringSetAsync(broken.StreamKey, "not a stream");
            var time = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
            var file = Archive(Enumerable.Range(0, 5).SelectMany(i => new[] { Line(time.AddSeconds(i), "x" + i, "broken"), Line(time.AddSeconds(i), "y" + i, "fine") }).ToArray());
            var problems = new List<ImportProblem>();
            var result = await store.ImportAsync(new MemoryStream(file), "f", new ImportDefaults(), new ImportProgress(), problems.Add, batchSize: 3);
            Assert.Equal((10L, 5L, 5L), (result.Read, result.Imported, result.Failed));
            var problem = Assert.Single(problems);
            Assert.Equal(StoreErrors.WrongType, problem.ErrorId);
            Assert.Equal("broken/information", problem.Target);
            Assert.StartsWith("5 entries of f for broken/information were not imported", problem.Error.Message, StringComparison.Ordinal);
        }

        /// <summary>A file that takes some bytes, then fails as a full disk does.</summary>
        private sealed class FailingStream : MemoryStream
        {
            private readonly long _failAfter;

            public FailingStream(long failAfter) => _failAfter = failAfter;

            public override void Write(byte[] buffer, int offset, int count)
            {
                if (Length + count > _failAfter) throw new IOException("No space left on device");
                base.Write(buffer, offset, count);
            }
        }

        private static string Line(DateTime time, string message, string service = "s") =>
            "{\"ts\":\"" + ArchiveFormat.FormatTime(time) + "\",\"level\":\"information\",\"service\":\"" + service + "\",\"message\":\"" + message + "\"}";

        private static byte[] Archive(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
    }
}
