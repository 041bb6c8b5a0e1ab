using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Tests
{
    /// <summary>Import and export of a version 2 store (blocks): the duplicate check reads the partition's blocks, head and late set by event time.</summary>
    public sealed class BlockImportTests : IClassFixture<ValkeyFixture>, IDisposable
    {
        private static readonly DateTime Time = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        private readonly ValkeyFixture _valkey;
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "monarchlogs-blockimport-" + Guid.NewGuid().ToString("N"));

        public BlockImportTests(ValkeyFixture valkey)
        {
            _valkey = valkey;
            Directory.CreateDirectory(_folder);
        }

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        [Fact]
        public async Task A_second_import_of_the_same_file_finds_every_entry_in_blocks_and_head_and_keeps_a_file_s_own_repeats()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            // "big": 600 entries of one partition, a batch of blocks of the stream; "small": a few, blocks of the head.
            var lines = Enumerable.Range(0, 600).Select(i => Line(Time.AddMilliseconds(i / 3), "big " + (i % 3 == 2 ? 0 : i), "big")).ToList();
            lines.AddRange(new[] { Line(Time, "a"), Line(Time, "a"), Line(Time.AddMilliseconds(1), "b"), Line(Time.AddTicks(1), "a") });
            var file = Archive(lines.ToArray());
            var first = await store.ImportAsync(new MemoryStream(file), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 1000);
            Assert.Equal((604L, 0L), (first.Imported, first.Skipped));
            var second = await store.ImportAsync(new MemoryStream(file), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 7);
            Assert.Equal((0L, 604L), (second.Imported, second.Skipped));

            // Once the head is compacted, its entries are found in the stream's block.
            await store.CompactHeadAsync(store.Format.GetPartition("s", MonarchLogLevel.Information));
            var third = await store.ImportAsync(new MemoryStream(file), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 3);
            Assert.Equal((0L, 604L), (third.Imported, third.Skipped));
            var stored = await store.ToListAsync(new LogQuery { OldestFirst = true, Services = new[] { "s" } });
            Assert.Equal(new[] { "a", "a", "a", "b" }, stored.Select(e => e.Message));
            Assert.Equal(600, (await store.ToListAsync(new LogQuery { Services = new[] { "big" } })).Count);
        }

        [Fact]
        public async Task An_import_into_a_range_the_store_holds_adds_only_the_entries_it_lacks()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var held = Enumerable.Range(0, 300).Select(i => Entry(Time.AddMilliseconds(i), "m" + i)).ToList();
            Assert.Equal(280, await store.AppendAsync(held.Take(280).ToList()));
            Assert.Equal(20, await store.AppendAsync(held.Skip(280).ToList()));

            // The file: every other held entry, and a new entry at the same time as each held one.
            var lines = new List<string>();
            for (var i = 0; i < 300; i++)
            {
                if (i % 2 == 0) lines.Add(Line(Time.AddMilliseconds(i), "m" + i, host: "h"));
                lines.Add(Line(Time.AddMilliseconds(i), "new " + i));
            }

            var result = await store.ImportAsync(new MemoryStream(Archive(lines.ToArray())), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 64);
            Assert.Equal((300L, 150L), (result.Imported, result.Skipped));
            var stored = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(600, stored.Count);
            Assert.Equal(300, stored.Count(e => e.Message.StartsWith("new ", StringComparison.Ordinal)));
            Assert.Equal(300, stored.Select(e => e.Message).Where(m => m.StartsWith("m", StringComparison.Ordinal)).Distinct().Count());
        }

        [Fact]
        public async Task An_export_imported_into_a_new_store_gives_every_entry_back_field_by_field_hostile_text_included()
        {
            var source = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var hostile = new[]
            {
                "line\nbreak\r\nand\ttab", "\u001b[31mred\u001b[0m", "\u202eright to left", "quote \" backslash \\ slash /", "\0nul",
                "é ü 日本語 🦋", "{\"json\":true}", new string('x', 70_000), string.Empty, "\ud800 lone surrogate",
            };
            var entries = Enumerable.Range(0, 700).Select(i => new MonarchLogEntry
            {
                Timestamp = Time.AddTicks(i * 12_345L),
                Level = (MonarchLogLevel)(i % 6),
                Service = i % 5 == 0 ? "api" : "orders",
                Category = "Cat." + hostile[i % hostile.Length].Length,
                Message = hostile[i % hostile.Length] + i,
                Template = i % 3 == 0 ? "Order {Id}" : string.Empty,
                EventId = i,
                EventName = i % 4 == 0 ? "E" + hostile[(i + 1) % hostile.Length] : string.Empty,
                ExceptionType = i % 7 == 0 ? "System.InvalidOperationException" : string.Empty,
                ExceptionMessage = i % 7 == 0 ? hostile[(i + 2) % hostile.Length] : string.Empty,
                Exception = i % 7 == 0 ? "System.InvalidOperationException: x\n   at A.B()" : string.Empty,
                TraceId = i % 2 == 0 ? "4bf92f3577b34da6a3ce929d0e0e" + (4736 + i).ToString("x4") : string.Empty,
                SpanId = i % 2 == 0 ? "00f067aa0ba902b7" : string.Empty,
                Host = i % 3 == 0 ? "host-" + i % 2 : string.Empty,
                Properties = "{\"Id\":" + i + ",\"Text\":" + System.Text.Json.JsonSerializer.Serialize(hostile[(i + 3) % hostile.Length]) + "}",
            }).ToList();
            Assert.Equal(700, await source.AppendAsync(entries));
            var expected = await source.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(700, expected.Count);

            var path = Path.Combine(_folder, "all.jsonl.gz");
            using (var writer = ArchiveWriter.Create(path, overwrite: false))
            {
                var exported = await source.ExportAsync(new LogQuery(), writer, null);
                Assert.Equal(700, exported.Entries);
            }

            var target = await BlockAppenderTests.BlockStoreAsync(_valkey);
            using (var stream = ArchiveFormat.OpenRead(path))
            {
                var imported = await target.ImportAsync(stream, path, new ImportDefaults(), new ImportProgress(), null);
                Assert.Equal((700L, 700L, 0L, 0L), (imported.Read, imported.Imported, imported.Skipped, imported.Failed));
            }

            var actual = await target.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var (e, a) = (expected[i], actual[i]);
                Assert.Equal(
                    (e.Id, e.Timestamp.Ticks, e.Level, e.Service, e.Category, e.Message, e.Template, e.EventId, e.EventName),
                    (a.Id, a.Timestamp.Ticks, a.Level, a.Service, a.Category, a.Message, a.Template, a.EventId, a.EventName));
                Assert.Equal((e.ExceptionType, e.ExceptionMessage, e.Exception, e.TraceId, e.SpanId, e.Host, e.Properties),
                    (a.ExceptionType, a.ExceptionMessage, a.Exception, a.TraceId, a.SpanId, a.Host, a.Properties));
            }

            // And the same file again finds all of them.
            using (var stream = ArchiveFormat.OpenRead(path))
            {
                var again = await target.ImportAsync(stream, path, new ImportDefaults(), new ImportProgress(), null, batchSize: 100);
                Assert.Equal((0L, 700L), (again.Imported, again.Skipped));
            }
        }

        private static MonarchLogEntry Entry(DateTime time, string message) => new MonarchLogEntry
        {
            Timestamp = time,
            Level = MonarchLogLevel.Information,
            Service = "s",
            Message = message,
            Host = "h",
        };

        private static string Line(DateTime time, string message, string service = "s", string host = "") =>
            "{\"ts\":\"" + ArchiveFormat.FormatTime(time) + "\",\"level\":\"information\",\"service\":\"" + service + "\",\"message\":\"" + message + "\",\"host\":\"" + host + "\"}";

        private static byte[] Archive(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
    }
}
