using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Reading stream entries by their IDs (a partition's late blocks): every ID asked for is
    /// answered with its entry or null, in the order asked, and IDs next to each other in the
    /// stream come a run per command, not a command each.
    /// </summary>
    public sealed class BlocksByIdTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public BlocksByIdTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        /// <summary>A stream of <paramref name="count"/> entries, each with a field <c>i</c> = its index; answers their IDs.</summary>
        private async Task<(string Key, List<StreamId> Ids)> StreamAsync(int count)
        {
            var key = "byid:" + Guid.NewGuid().ToString("N");
            var ids = new List<StreamId>();
            for (var i = 0; i < count; i++)
            {
                var id = await Db.StreamAddAsync(key, new[] { new NameValueEntry("i", i), new NameValueEntry("data", new string('x', 200)) }, $"{1_000 + i / 3}-{i % 3}");
                Assert.True(StreamId.TryParse(id, out var parsed));
                ids.Add(parsed);
            }

            return (key, ids);
        }

        private async Task<long> XrangeCallsAsync()
        {
            var info = await _valkey.Connection.GetServer(_valkey.Server.Endpoint).InfoAsync("commandstats");
            var line = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "cmdstat_xrange").Value;
            if (line is null) return 0;
            var calls = line.Split(',').First(p => p.StartsWith("calls=", StringComparison.Ordinal));
            return long.Parse(calls.Substring("calls=".Length), System.Globalization.CultureInfo.InvariantCulture);
        }

        [Fact]
        public async Task Every_id_asked_for_is_answered_in_the_order_asked_with_null_for_one_not_there()
        {
            var (key, all) = await StreamAsync(400);
            var wanted = new List<StreamId>();
            wanted.AddRange(all.Skip(10).Take(120));                     // a run
            wanted.AddRange(all.Skip(200).Where((_, i) => i % 9 == 0));  // far apart
            wanted.Add(new StreamId(1_050, 7));                          // between entries, not there
            wanted.Add(new StreamId(5_000, 0));                          // after the last entry
            wanted.Add(new StreamId(1, 0));                              // before the first
            wanted.Add(all[42]);                                         // asked twice
            var shuffled = wanted.OrderBy(id => (id.Milliseconds * 7919 + id.Sequence * 31) % 101).ToList();

            var found = await BlocksById.ReadAsync(Db, key, shuffled, CancellationToken.None);

            Assert.Equal(shuffled.Count, found.Length);
            for (var i = 0; i < shuffled.Count; i++)
            {
                var index = all.IndexOf(shuffled[i]);
                if (index < 0)
                {
                    Assert.Null(found[i]);
                    continue;
                }

                Assert.NotNull(found[i]);
                Assert.Equal(shuffled[i].ToString(), (string?)found[i]!.Value.Id);
                Assert.Equal(index, (int)found[i]!.Value["i"]);
            }
        }

        [Fact]
        public async Task Ids_next_to_each_other_in_the_stream_come_a_run_per_command()
        {
            var (key, all) = await StreamAsync(600);
            var wanted = all.Skip(50).Take(500).Reverse().ToList();

            var before = await XrangeCallsAsync();
            var found = await BlocksById.ReadAsync(Db, key, wanted, CancellationToken.None);
            var calls = await XrangeCallsAsync() - before;

            Assert.All(found, entry => Assert.NotNull(entry));
            Assert.True(calls <= 25, $"{calls} XRANGE commands for 500 IDs in a row");
        }

        [Fact]
        public async Task Ids_far_apart_are_read_one_each_without_reading_the_entries_between_them_again_and_again()
        {
            var (key, all) = await StreamAsync(900);
            var wanted = all.Where((_, i) => i % 30 == 0).ToList();

            var before = await XrangeCallsAsync();
            var found = await BlocksById.ReadAsync(Db, key, wanted, CancellationToken.None);
            var calls = await XrangeCallsAsync() - before;

            Assert.Equal(wanted.Select(id => id.ToString()), found.Select(entry => (string?)entry!.Value.Id));
            // One run per chain finds them apart (up to 4 chains), then one command per remaining ID.
            Assert.True(calls <= wanted.Count + 4, $"{calls} XRANGE commands for {wanted.Count} IDs far apart");
        }

        [Fact]
        public async Task Nothing_asked_for_sends_nothing()
        {
            var before = await XrangeCallsAsync();
            Assert.Empty(await BlocksById.ReadAsync(Db, "byid:none", Array.Empty<StreamId>(), CancellationToken.None));
            Assert.Equal(before, await XrangeCallsAsync());
        }
    }
}
