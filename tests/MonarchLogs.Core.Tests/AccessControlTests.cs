using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>The ACL users of docs/operations.md: each can do its job and nothing more.</summary>
    public sealed class AccessControlTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public AccessControlTests(ValkeyFixture valkey) => _valkey = valkey;

        // Kept word for word in docs/operations.md.
        private const string WriterRules = "+ping +hello +auth +client|setname +client|setinfo +select +acl|whoami +get +hset +eval +xadd +publish +info +echo %R~monarch:logs:format %W~monarch:logs:partitions ~monarch:logs:stream:* &monarch:logs:notify";
        private const string ReaderRules = "+xrange +xrevrange +xread +xlen +hgetall +get +subscribe +unsubscribe +ping +client|setname +info +echo ~monarch:logs:* &monarch:logs:notify";
        private const string RetentionRules = "+xrange +xrevrange +xtrim +xlen +memory|usage +hgetall +get +ping +client|setname +info +echo ~monarch:logs:*";

        [Fact]
        public async Task Writer_reader_and_retention_users_can_do_their_jobs_and_no_more()
        {
            var admin = _valkey.Connection.GetDatabase();
            var suffix = Guid.NewGuid().ToString("N").Substring(0, 8);
            await admin.ExecuteAsync("ACL", ("SETUSER writer-" + suffix + " on >w-secret resetkeys resetchannels -@all " + WriterRules).Split(' '));
            await admin.ExecuteAsync("ACL", ("SETUSER reader-" + suffix + " on >r-secret resetkeys resetchannels -@all " + ReaderRules).Split(' '));
            await admin.ExecuteAsync("ACL", ("SETUSER retention-" + suffix + " on >x-secret resetkeys resetchannels -@all " + RetentionRules).Split(' '));
            // The documented rules use the default prefix, so this test does too; clear it first.
            await admin.ExecuteAsync("DEL", "monarch:logs:format", "monarch:logs:partitions", "monarch:logs:stream:acl:error");

            using var writerConnection = Connect("writer-" + suffix, "w-secret");
            using var readerConnection = Connect("reader-" + suffix, "r-secret");
            using var retentionConnection = Connect("retention-" + suffix, "x-secret");
            var writer = new LogStore(writerConnection);
            var reader = new LogStore(readerConnection);
            var retention = new LogStore(retentionConnection);

            await writer.AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, BaseTime, "old"), Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "new") });
            // Out of order: the append script places it after the stream's top without reading it.
            await writer.AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, BaseTime.AddMinutes(1), "late") });

            // The provider's own RESP write path needs no more than the same rules.
            using (var respWriter = new MonarchLogs.Core.Ingest.RespLogAppender(Options("writer-" + suffix, "w-secret"), new StorageFormat()))
            {
                var batch = new[] { Entry("acl", MonarchLogLevel.Error, BaseTime.AddMinutes(2), "late via resp") };
                Assert.Equal(1, await respWriter.AppendBatchAsync(batch));
            }

            var read = await reader.ToListAsync(new LogQuery());
            Assert.Equal(new[] { "late via resp", "late", "new", "old" }, read.Select(e => e.Message));
            using (var tail = await reader.OpenTailAsync(new LogQuery()))
            {
                Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
            }

            var partition = Assert.Single(await retention.GetPartitionsAsync());
            var removed = await retention.RemoveExpiredAsync(partition, BaseTime.AddDays(1));
            Assert.Equal(1, removed.RemovedEntries);

            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() =>
                new MonarchLogs.Core.Ingest.RespLogAppender(Options("writer-" + suffix, "not-the-secret"), new StorageFormat()).AppendBatchAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow) }));
            Assert.Equal("ValkeyAuthenticationFailed", refused.ErrorId);
            Assert.DoesNotContain("not-the-secret", refused.Message);

            Assert.Equal("ValkeyPermissionDenied", (await Assert.ThrowsAsync<MonarchLogsException>(() => reader.AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow) }))).ErrorId);
            await Assert.ThrowsAsync<RedisServerException>(() => reader.RemoveExpiredAsync(partition, DateTime.UtcNow));
            await Assert.ThrowsAsync<RedisServerException>(() => writer.RemoveExpiredAsync(partition, DateTime.UtcNow));
            await Assert.ThrowsAsync<RedisServerException>(() => writerConnection.GetDatabase().StringGetAsync("other:key"));
        }

        private ConnectionMultiplexer Connect(string user, string password) => ConnectionMultiplexer.Connect(Options(user, password));

        private ConfigurationOptions Options(string user, string password)
        {
            var options = ConfigurationOptions.Parse(_valkey.Server.ConnectionString);
            options.User = user;
            options.Password = password;
            return options;
        }
    }
}
