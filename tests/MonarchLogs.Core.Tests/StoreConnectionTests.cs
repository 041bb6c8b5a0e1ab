using System;
using System.Diagnostics;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// A connection made with an ACL user runs as that user. The fixture's server leaves its
    /// <c>default</c> user open (nopass), where a refused AUTH would otherwise go on as default.
    /// </summary>
    public sealed class StoreConnectionTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public StoreConnectionTests(ValkeyFixture valkey) => _valkey = valkey;

        private async Task<string> NewUserAsync(string password)
        {
            var user = "reader-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all");
            return user;
        }

        [Fact]
        public async Task A_wrong_password_is_ValkeyAuthenticationFailed_even_when_default_is_open()
        {
            var user = await NewUserAsync("right-secret");
            Assert.Equal("default", (string?)await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", "WHOAMI"));

            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() =>
                StoreConnection.ConnectAsync(StoreConnection.CreateOptions(new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = "wrong-secret" })));
            Assert.Equal(StoreErrors.AuthenticationFailed, refused.ErrorId);
            Assert.Equal(MonarchErrorKind.PermissionDenied, refused.Kind);
            Assert.DoesNotContain("wrong-secret", refused.ToString());
            Assert.Contains(user, refused.Message);

            using var connection = await StoreConnection.ConnectAsync(StoreConnection.CreateOptions(new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = "right-secret" }));
            Assert.Equal(user, (string?)await connection.GetDatabase().ExecuteAsync("ACL", "WHOAMI"));
        }

        [Fact]
        public async Task A_connection_made_in_the_background_refuses_reads_with_a_wrong_password()
        {
            var user = await NewUserAsync("right-secret");
            using var connection = StoreConnection.ConnectInBackground(StoreConnection.CreateOptions(new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = "wrong-secret" }));
            var store = new LogStore(connection, new StorageFormat("test:" + Guid.NewGuid().ToString("N")));
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => store.ToListAsync(new LogQuery()));
            Assert.Equal(StoreErrors.AuthenticationFailed, refused.ErrorId);
            Assert.DoesNotContain("wrong-secret", refused.ToString());
            await Assert.ThrowsAsync<MonarchLogsException>(() => store.GetStatusAsync(TimeSpan.FromDays(30)));
        }

        [Fact]
        public async Task After_a_reconnect_that_falls_back_to_default_reads_are_refused_until_the_password_works_again()
        {
            var user = await NewUserAsync("first-secret");
            using var connection = await StoreConnection.ConnectAsync(StoreConnection.CreateOptions(new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = "first-secret" }));
            var store = new LogStore(connection, new StorageFormat("test:" + Guid.NewGuid().ToString("N")));
            await _valkey.Connection.GetDatabase().ExecuteAsync("SET", store.Format.FormatKey, "1");
            Assert.Empty(await store.ToListAsync(new LogQuery()));

            // The password changes on the server; the client's connections are cut and come back.
            var admin = _valkey.Connection.GetDatabase();
            await admin.ExecuteAsync("ACL", "SETUSER", user, "resetpass", ">second-secret");
            await admin.ExecuteAsync("CLIENT", "KILL", "USER", user);
            var refused = await WaitForAsync(async () =>
            {
                try
                {
                    await store.ToListAsync(new LogQuery());
                    return null;
                }
                catch (MonarchLogsException ex) when (ex.ErrorId == StoreErrors.AuthenticationFailed)
                {
                    return ex;
                }
                catch (RedisConnectionException)
                {
                    return null;
                }
            });
            Assert.DoesNotContain("first-secret", refused.ToString());

            // The old password is valid again: a later read reconnects as the user and succeeds.
            await admin.ExecuteAsync("ACL", "SETUSER", user, ">first-secret");
            Exception? last = null;
            await WaitForAsync(async () =>
            {
                try
                {
                    await store.ToListAsync(new LogQuery());
                    return (string?)await connection.GetDatabase().ExecuteAsync("ACL", "WHOAMI") == user ? "read as the user" : null;
                }
                catch (Exception ex) when (ex is MonarchLogsException || ex is RedisConnectionException)
                {
                    last = ex;
                    return null;
                }
            }, () => $"last: {last?.GetType().Name}: {last?.Message}; connected: {connection.IsConnected}; whoami: {TryWhoAmI(connection)}");
        }

        private static string TryWhoAmI(IConnectionMultiplexer connection)
        {
            try
            {
                return (string?)connection.GetDatabase().Execute("ACL", "WHOAMI") ?? "?";
            }
            catch (Exception ex)
            {
                return ex.GetType().Name;
            }
        }

        private static async Task<T> WaitForAsync<T>(Func<Task<T?>> attempt, Func<string>? describe = null) where T : class
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (await attempt() is { } result) return result;
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "timed out; " + describe?.Invoke());
                await Task.Delay(100);
            }
        }
    }
}
