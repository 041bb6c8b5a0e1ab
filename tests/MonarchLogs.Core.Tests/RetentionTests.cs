using System;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    public sealed class RetentionTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public RetentionTests(ValkeyFixture valkey) => _valkey = valkey;

        // Format 1: retention by ID, to the entry (format 2 removes whole blocks: BlockRetentionTests).
        [Fact]
        public async Task Removes_exactly_the_entries_older_than_the_cutoff_in_bounded_steps()
        {
            var store = _valkey.NewStore().AsVersion1();
            // 5000 entries a minute apart: enough stream nodes for several bounded trims.
            await store.AppendAllAsync(Enumerable.Range(0, 5000).Select(i => Entry("s", MonarchLogLevel.Information, BaseTime.AddMinutes(i), "n" + i)));
            var partition = Assert.Single(await store.GetPartitionsAsync());
            var cutoff = BaseTime.AddMinutes(3210);

            var preview = await store.PreviewExpiredAsync(partition, cutoff);
            Assert.Equal(3210, preview.ExpiredEntries);
            Assert.Equal(5000, preview.TotalEntries);
            Assert.Equal(BaseTime, preview.Oldest);
            Assert.Equal(BaseTime.AddMinutes(3209), preview.Newest);
            Assert.True(preview.EstimatedBytes > 0);
            Assert.Equal(5000, (await store.ToListAsync(new LogQuery())).Count);

            var result = await store.RemoveExpiredAsync(partition, cutoff);
            Assert.Equal(3210, result.RemovedEntries);
            Assert.True(result.TrimCommands >= 4, $"expected several bounded trims, got {result.TrimCommands}");
            Assert.True(result.BytesReclaimed > 0);
            var left = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(1790, left.Count);
            Assert.Equal("n3210", left[0].Message);

            var again = await store.RemoveExpiredAsync(partition, cutoff);
            Assert.Equal(0, again.RemovedEntries);
        }
    }
}
