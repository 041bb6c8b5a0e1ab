using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// The write path behind Sentinel. It asks the sentinels for the master, writes to it over a
    /// connection of its own, and listens to the sentinels' announcements: from the moment a
    /// failover of its service starts it writes nothing (batches fail as "may pass" and wait in
    /// the writer's buffer), and once the new master is announced it connects to that one. So it
    /// never goes on writing to a master being demoted, which would discard what it took; what
    /// is lost in a failover is only what the old master acknowledged in the moments before and
    /// had not yet replicated (none with <see cref="VersionedAppender.ReplicaAcknowledgements"/>).
    /// </summary>
    public sealed class SentinelAppender : ILogAppender, IDisposable
    {
        /// <summary>A failover that neither ends nor aborts in this time no longer holds writes back.</summary>
        private static readonly TimeSpan MostPause = TimeSpan.FromSeconds(30);

        private static readonly string[] FailoverStarts =
        {
            "+try-failover", "+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
            "+failover-state-wait-promotion", "+promoted-slave",
        };

        private static readonly string[] FailoverEnds =
        {
            "+switch-master", "+failover-end", "+failover-end-for-timeout", "-failover-abort-not-elected",
            "-failover-abort-no-good-slave", "-failover-abort-slave-timeout",
        };

        private readonly ConfigurationOptions _options;
        private readonly StorageFormat _format;
        private readonly string _serviceName;
        private readonly Func<IConnectionMultiplexer, ILogAppender> _createAppender;
        private readonly SemaphoreSlim _switch = new SemaphoreSlim(1, 1);
        private ConnectionMultiplexer? _sentinels;
        private ConnectionMultiplexer? _master;
        private ILogAppender? _appender;
        private EndPoint? _masterEndPoint;
        private EndPoint? _announced;
        private long _pausedUntilTicks;
        private volatile bool _disposed;

        /// <summary>An appender that follows the master of the Sentinel service named in <paramref name="options"/>.</summary>
        /// <param name="options">Connection options (<see cref="StoreConnection.CreateOptions"/>) with the Sentinels as endpoints and <c>serviceName</c> set.</param>
        /// <param name="format">The storage format to write.</param>
        /// <param name="createAppender">Makes the appender over a connection to the current master (a <see cref="VersionedAppender"/>, as a rule).</param>
        public SentinelAppender(ConfigurationOptions options, StorageFormat format, Func<IConnectionMultiplexer, ILogAppender> createAppender)
        {
            _options = StoreConnection.CloneOptions(options);
            _format = format;
            _serviceName = options.ServiceName ?? throw new ArgumentException("The connection string names no Sentinel service (serviceName=...).", nameof(options));
            _createAppender = createAppender;
        }

        /// <summary>Whether these options name a Sentinel service.</summary>
        public static bool Serves(ConfigurationOptions options) => !string.IsNullOrEmpty(options.ServiceName);

        /// <inheritdoc />
        public async Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(SentinelAppender));
            if (DateTime.UtcNow.Ticks < Interlocked.Read(ref _pausedUntilTicks))
            {
                throw StoreErrors.ClassifyServerReply("MASTERDOWN A Sentinel failover of '" + _serviceName + "' is in progress; writes wait for the new master.");
            }

            var appender = await CurrentAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await appender.AppendAsync(batch, cancellationToken).ConfigureAwait(false);
                if (result.Failures.Any(failure => failure.Error.IsTransient)) Reconsider();
                return result;
            }
            catch (Exception ex) when (StoreErrors.Classify(ex).IsTransient)
            {
                Reconsider();
                throw;
            }
        }

        /// <summary>
        /// A failure that may pass (the master went read-only, went away) may mean a failover whose
        /// announcement this writer missed: the next attempt asks the sentinels for the master again.
        /// </summary>
        private void Reconsider() => Volatile.Write(ref _announced, null);

        /// <summary>The appender of the master the sentinels name now; connects to a new one when it changed.</summary>
        private async Task<ILogAppender> CurrentAsync(CancellationToken cancellationToken)
        {
            var appender = _appender;
            if (appender is not null && Equals(Volatile.Read(ref _announced), _masterEndPoint)) return appender;
            await _switch.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_sentinels is null) await ConnectSentinelsAsync().ConfigureAwait(false);
                var announced = Volatile.Read(ref _announced) ?? await AskMasterAsync().ConfigureAwait(false);
                if (_appender is not null && Equals(announced, _masterEndPoint))
                {
                    Volatile.Write(ref _announced, announced);
                    return _appender;
                }

                var options = StoreConnection.CloneOptions(_options);
                options.ServiceName = null;
                options.EndPoints.Clear();
                options.EndPoints.Add(announced);
                options.CommandMap = CommandMap.Default;
                // Through the one factory, so the master's connection is checked as any other (its user, its certificate).
                var master = await StoreConnection.ConnectInBackgroundAsync(options, cancellationToken).ConfigureAwait(false);
                var old = _master;
                _master = master;
                _masterEndPoint = announced;
                Volatile.Write(ref _announced, announced);
                _appender = _createAppender(master);
                old?.Dispose();
                return _appender;
            }
            finally
            {
                _switch.Release();
            }
        }

        private async Task ConnectSentinelsAsync()
        {
            var options = _options.Clone();
            options.ServiceName = null;
            options.CommandMap = CommandMap.Sentinel;
            options.User = null;
            options.Password = null;
            options.Ssl = false;
            var sentinels = await ConnectionMultiplexer.SentinelConnectAsync(options).ConfigureAwait(false);
            var subscriber = sentinels.GetSubscriber();
            foreach (var channel in FailoverStarts)
            {
                await subscriber.SubscribeAsync(RedisChannel.Literal(channel), (_, message) =>
                {
                    if (Names(message)) Interlocked.Exchange(ref _pausedUntilTicks, (DateTime.UtcNow + MostPause).Ticks);
                }).ConfigureAwait(false);
            }

            foreach (var channel in FailoverEnds)
            {
                var isSwitch = channel == "+switch-master";
                await subscriber.SubscribeAsync(RedisChannel.Literal(channel), (_, message) =>
                {
                    if (!Names(message)) return;
                    if (isSwitch && ParseSwitch(message) is { } master) Volatile.Write(ref _announced, master);
                    Interlocked.Exchange(ref _pausedUntilTicks, 0);
                }).ConfigureAwait(false);
            }

            _sentinels = sentinels;
        }

        private async Task<EndPoint> AskMasterAsync()
        {
            foreach (var endpoint in _sentinels!.GetEndPoints())
            {
                var server = _sentinels.GetServer(endpoint);
                if (!server.IsConnected) continue;
                try
                {
                    if (await server.SentinelGetMasterAddressByNameAsync(_serviceName).ConfigureAwait(false) is { } master) return master;
                }
                catch (RedisException)
                {
                }
            }

            throw StoreErrors.ClassifyServerReply("MASTERDOWN No sentinel names a master for '" + _serviceName + "'.");
        }

        /// <summary>Whether a sentinel event is about this service: "master &lt;name&gt; ..." or "... @ &lt;name&gt; ...".</summary>
        private bool Names(RedisValue message)
        {
            var parts = ((string?)message ?? string.Empty).Split(' ');
            if (parts.Length > 1 && parts[0] == "master" && parts[1] == _serviceName) return true;
            var at = Array.IndexOf(parts, "@");
            return (at >= 0 && at + 1 < parts.Length && parts[at + 1] == _serviceName) || (parts.Length > 0 && parts[0] == _serviceName);
        }

        /// <summary>"+switch-master &lt;name&gt; &lt;old ip&gt; &lt;old port&gt; &lt;new ip&gt; &lt;new port&gt;".</summary>
        private static EndPoint? ParseSwitch(RedisValue message)
        {
            var parts = ((string?)message ?? string.Empty).Split(' ');
            if (parts.Length < 5 || !int.TryParse(parts[4], out var port)) return null;
            return IPAddress.TryParse(parts[3], out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(parts[3], port);
        }

        /// <summary>Closes the connections to the master and the Sentinels.</summary>
        public void Dispose()
        {
            _disposed = true;
            _master?.Dispose();
            _sentinels?.Dispose();
        }
    }
}
