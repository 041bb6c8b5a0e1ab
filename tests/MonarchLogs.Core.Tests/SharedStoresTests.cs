using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The stores a host opens by connection string (the PowerShell module): one connection per
    /// target and credential, reused, and all of them gone from the server after <see cref="SharedStores.CloseAll"/>.
    /// </summary>
    public sealed class SharedStoresTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public SharedStoresTests(ValkeyFixture valkey) => _valkey = valkey;

        private async Task<int> ClientsNamedAsync(string name)
        {
            var list = (string?)await _valkey.Connection.GetDatabase().ExecuteAsync("CLIENT", "LIST") ?? string.Empty;
            return list.Split('\n').Count(line => line.Contains(" name=" + name + " ", StringComparison.Ordinal));
        }

        private StoreConnectionSettings Target(string? user, string? password, string prefix) =>
            new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = password, Prefix = prefix };

        [Fact]
        public async Task One_connection_per_target_and_password_reused_and_closed_by_CloseAll()
        {
            var clientName = "shared-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var user = "reader-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">secret", "~*", "&*", "+@all");
            var stores = new SharedStores(clientName);

            var first = stores.Open(Target(null, null, "a:prefix"), null, CancellationToken.None);
            var samePrefixed = stores.Open(Target(null, null, "b:prefix"), null, CancellationToken.None);
            Assert.Same(first.Connection, samePrefixed.Connection);
            Assert.Equal("b:prefix", samePrefixed.Format.Prefix);
            Assert.Equal(1, stores.ConnectionCount);

            var asUser = stores.Open(Target(user, "secret", "a:prefix"), null, CancellationToken.None);
            Assert.NotSame(first.Connection, asUser.Connection);
            Assert.Equal(2, stores.ConnectionCount);
            Assert.True(await ClientsNamedAsync(clientName) >= 2);

            stores.CloseAll();
            Assert.Equal(0, stores.ConnectionCount);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (await ClientsNamedAsync(clientName) > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Equal(0, await ClientsNamedAsync(clientName));

            var reopened = stores.Open(Target(null, null, "a:prefix"), null, CancellationToken.None);
            Assert.True(reopened.Connection.IsConnected);
            stores.CloseAll();
        }

        [Fact]
        public void The_stores_of_one_connection_and_prefix_share_one_appender_and_format()
        {
            // A command a call (Write-MonarchLog in a loop) then writes through one writer, not
            // one writer a call, each left to check the partition's head later.
            var stores = new SharedStores("shared-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            var first = stores.Open(Target(null, null, "a:prefix"), null, CancellationToken.None);
            var second = stores.Open(Target(null, null, "a:prefix"), null, CancellationToken.None);
            var other = stores.Open(Target(null, null, "b:prefix"), null, CancellationToken.None);

            Assert.NotSame(first, second);
            Assert.Same(first.Appender, second.Appender);
            Assert.Same(first.Format, second.Format);
            Assert.NotSame(first.Appender, other.Appender);
            Assert.Equal("b:prefix", other.Format.Prefix);
            stores.CloseAll();
        }

        [Fact]
        public void An_unreadable_connection_string_is_described_without_throwing()
        {
            Assert.Null(StoreConnection.TryDescribe("host:6379,nosuchoption=1"));
            Assert.Equal("127.0.0.1:6380", StoreConnection.DescribeServers("127.0.0.1:6380,password=hidden"));
            Assert.DoesNotContain("hidden", StoreConnection.TryDescribe("127.0.0.1:6380,password=hidden"));
        }
    }
}
