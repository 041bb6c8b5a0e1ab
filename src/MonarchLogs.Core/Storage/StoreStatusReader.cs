using MonarchLogs.Core.Format;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Storage
{
    /// <summary>
    /// Reads <see cref="StoreStatus"/> with bounded work: two INFO sections, the registry, and four
    /// pipelined commands per registered partition (XLEN, first and last entry, MEMORY USAGE);
    /// on version 2, the hour counts, the first and last blocks of the stream and the head, the
    /// late set's ends and MEMORY USAGE of each key (<see cref="BlockPartitionStatusRead"/>);
    /// never KEYS or SCAN. Commands the ACL user lacks leave their values null.
    /// </summary>
    internal static class StoreStatusReader
    {
        public const double MemoryWarningRatio = 0.8;

        // A daily retention job lets entries reach one day past the period before it runs.
        private static readonly TimeSpan RetentionSlack = TimeSpan.FromDays(1);

        public static async Task<StoreStatus> ReadAsync(LogStore store, TimeSpan retentionPeriod, IReadOnlyDictionary<MonarchLogLevel, TimeSpan>? levelRetention, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var db = store.Database;
            var memoryInfoTask = InfoAsync(store, "memory");
            var persistenceInfoTask = InfoAsync(store, "persistence");
            var formatTask = db.StringGetAsync(store.Format.FormatKey);
            var errors = new List<PartitionError>();
            void Report(PartitionError error)
            {
                errors.Add(error);
                partitionError?.Invoke(error);
            }

            var partitions = await store.GetPartitionsAsync(Report, cancellationToken).ConfigureAwait(false);

            // In the order Get-MonarchLogService lists them: by service, then by severity.
            var reads = partitions
                .OrderBy(p => p.Service, StringComparer.OrdinalIgnoreCase)
                .ThenBy(p => p.Level)
                .Select(p => store.Reader.Version == 2 ? new BlockPartitionStatusRead(db, p) : new PartitionStatusRead(db, p))
                .ToList();
            var partitionStatuses = new List<PartitionStatus>(reads.Count);
            foreach (var read in reads)
            {
                try
                {
                    partitionStatuses.Add(await read.CompleteAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (PartitionError.FromReadFailure(read.Partition, ex) is { } failure)
                {
                    Report(failure);
                }
            }

            var readable = partitionStatuses.Count;

            var memoryInfos = await memoryInfoTask.WithCancellation(cancellationToken).ConfigureAwait(false);
            var persistenceInfos = await persistenceInfoTask.WithCancellation(cancellationToken).ConfigureAwait(false);
            var format = await formatTask.WithCancellation(cancellationToken).ConfigureAwait(false);

            var withEntries = partitionStatuses.Where(p => p.Oldest is not null).ToList();
            var memory = Merge(memoryInfos);
            var persistence = Merge(persistenceInfos);
            var warnings = new List<string>();
            var status = new StoreStatus
            {
                FormatVersion = format.IsNull ? null : format.ToString(),
                Prefix = store.Format.Prefix,
                PartitionCount = readable,
                ServiceCount = partitionStatuses.Select(p => p.Service).Distinct(StringComparer.Ordinal).Count(),
                TotalEntries = partitionStatuses.All(p => p.Entries is not null) ? partitionStatuses.Sum(p => p.Entries!.Value) : null,
                Oldest = withEntries.Count == 0 ? null : withEntries.Min(p => p.Oldest),
                Newest = withEntries.Count == 0 ? null : withEntries.Max(p => p.Newest),
                Partitions = partitionStatuses,
                UsedMemoryBytes = GetLong(memory, "used_memory"),
                MaxMemoryBytes = GetLong(memory, "maxmemory"),
                MaxMemoryPolicy = Get(memory, "maxmemory_policy"),
                StoreMemoryBytes = partitionStatuses.All(p => p.MemoryBytes is not null) ? partitionStatuses.Sum(p => p.MemoryBytes!.Value) : null,
                AofEnabled = GetLong(persistence, "aof_enabled") is { } aof ? aof != 0 : null,
                RdbLastBgsaveStatus = Get(persistence, "rdb_last_bgsave_status"),
                AofLastWriteStatus = Get(persistence, "aof_last_write_status"),
                RdbChangesSinceLastSave = GetLong(persistence, "rdb_changes_since_last_save"),
                RetentionPeriod = retentionPeriod,
                LevelRetention = levelRetention ?? new Dictionary<MonarchLogLevel, TimeSpan>(),
                Warnings = warnings,
            };
            AddWarnings(status, memoryInfos, DateTime.UtcNow, warnings);
            if (errors.Count > 0)
            {
                warnings.Add($"{errors.Count} registered partition(s) or registry entries cannot be read and are left out of these figures ({string.Join("; ", errors.Select(e => e.ErrorId + " " + e.Target))}). Get-MonarchLogStoreStatus writes an error for each; fix or remove the key and its registry entry.");
            }

            return status;
        }

        private static void AddWarnings(StoreStatus status, IReadOnlyList<ServerInfo> memoryInfos, DateTime nowUtc, List<string> warnings)
        {
            if (status.AofEnabled == false)
            {
                warnings.Add("The append-only file is off (aof_enabled:0): a restart loses every entry since the last RDB snapshot, or all of them if no 'save' is configured. Set 'appendonly yes' (docs/operations.md, Persistence).");
            }

            if (status.RdbLastBgsaveStatus is { } bgsave && !IsOk(bgsave))
            {
                warnings.Add($"The last RDB save failed (rdb_last_bgsave_status:{bgsave}): entries since the last good snapshot are not on disk. Check the Valkey log and disk space.");
            }

            if (status.AofLastWriteStatus is { } aofWrite && !IsOk(aofWrite))
            {
                warnings.Add($"The last append-only file write failed (aof_last_write_status:{aofWrite}): Valkey refuses writes until it succeeds. Check the Valkey log and disk space.");
            }

            if (status.MaxMemoryPolicy is { } policy && !IsNoEviction(policy))
            {
                warnings.Add($"maxmemory-policy is {policy}: when memory is full Valkey evicts keys, and whole partitions of logs vanish without a trace. Set 'maxmemory-policy noeviction'.");
            }

            // Each server against its own limit: a cluster master that is full refuses the writes
            // to its partitions however much room the others have, so the sums would hide it.
            foreach (var server in memoryInfos)
            {
                if (GetLong(server.Info, "used_memory") is { } used && GetLong(server.Info, "maxmemory") is { } max && max > 0 && used > max * MemoryWarningRatio)
                {
                    warnings.Add(string.Format(CultureInfo.InvariantCulture,
                        server.Endpoint is null
                            ? "Valkey uses {0:P0} of maxmemory ({1} of {2} bytes): raise maxmemory or shorten retention before writes fail."
                            : "The cluster master {3} uses {0:P0} of maxmemory ({1} of {2} bytes): raise its maxmemory, move slots off it or shorten retention before its writes fail.",
                        (double)used / max, used, max, server.Endpoint));
                }
            }

            // Each level against its own period: the default one, or the one a per-level retention keeps.
            var overdue = status.Partitions
                .Where(p => p.Oldest is not null)
                .GroupBy(p => status.LevelRetention.TryGetValue(p.Level, out var own) ? own : status.RetentionPeriod)
                .Select(g => (Period: g.Key, Oldest: g.Min(p => p.Oldest!.Value), Levels: g.Select(p => p.Level).Distinct().OrderBy(l => l).ToList()))
                .Where(g => g.Oldest < nowUtc - g.Period - RetentionSlack)
                .OrderBy(g => g.Period);
            foreach (var (period, oldest, levels) in overdue)
            {
                var own = status.LevelRetention.Count > 0 && period != status.RetentionPeriod;
                warnings.Add(own
                    ? string.Format(CultureInfo.InvariantCulture,
                        "The oldest {2} entry ({0:yyyy-MM-dd HH:mm:ss}Z) is older than its retention period of {1} days: its retention is not running. Schedule Remove-ExpiredMonarchLog -Level {2} -RetentionDays {1} (docs/operations.md, Retention).",
                        oldest, period.TotalDays, string.Join(", ", levels.Where(l => status.LevelRetention.ContainsKey(l))))
                    : string.Format(CultureInfo.InvariantCulture,
                        "The oldest entry ({0:yyyy-MM-dd HH:mm:ss}Z) is older than the retention period of {1} days: retention is not running. Schedule Remove-ExpiredMonarchLog (docs/operations.md, Retention).",
                        oldest, period.TotalDays));
            }
        }

        private static bool IsOk(string status) => string.Equals(status, "ok", StringComparison.OrdinalIgnoreCase);

        /// <summary>A command this ACL user may not run (NOPERM) gives null instead of failing the status.</summary>
        internal static async Task<T?> RefusedAsNull<T>(Task<T> task) where T : class
        {
            try
            {
                return await task.ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (IsRefused(ex))
            {
                return null;
            }
        }

        internal static async Task<long?> RefusedAsNull(Task<long> task)
        {
            try
            {
                return await task.ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (IsRefused(ex))
            {
                return null;
            }
        }

        private static bool IsRefused(RedisServerException ex) =>
            ex.Message.StartsWith("NOPERM", StringComparison.Ordinal);

        /// <summary>One server's INFO section; <see cref="Endpoint"/> names a cluster master, and is null for the one server.</summary>
        private sealed record ServerInfo(string? Endpoint, Dictionary<string, string> Info);

        /// <summary>One INFO section of the server; of a cluster, of every master.</summary>
        private static async Task<IReadOnlyList<ServerInfo>> InfoAsync(LogStore store, string section)
        {
            if (!store.IsCluster) return new[] { new ServerInfo(null, ParseInfo(await RefusedAsNull(store.Database.ExecuteAsync("INFO", (RedisValue)section)).ConfigureAwait(false))) };
            var masters = store.Connection.GetEndPoints().Select(endpoint => store.Connection.GetServer(endpoint)).Where(server => server.IsConnected && !server.IsReplica).ToList();
            var infos = await Task.WhenAll(masters.Select(server => RefusedAsNull(server.ExecuteAsync("INFO", (RedisValue)section)))).ConfigureAwait(false);
            return masters.Select((server, i) => new ServerInfo(EndPointCollection.ToString(server.EndPoint), ParseInfo(infos[i]))).ToList();
        }

        /// <summary>
        /// The INFO fields of the whole store: of a cluster, memory and unsaved changes summed over
        /// the masters, and of any other field the worst value of any master.
        /// </summary>
        private static Dictionary<string, string> Merge(IReadOnlyList<ServerInfo> servers)
        {
            var merged = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var server in servers)
            {
                foreach (var pair in server.Info)
                {
                    if (!merged.TryGetValue(pair.Key, out var value)) merged[pair.Key] = pair.Value;
                    else if (SummedFields.Contains(pair.Key) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) && long.TryParse(pair.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b)) merged[pair.Key] = (a + b).ToString(CultureInfo.InvariantCulture);
                    else merged[pair.Key] = Worse(pair.Key, value, pair.Value);
                }
            }

            return merged;
        }

        private static readonly HashSet<string> SummedFields = new HashSet<string>(StringComparer.Ordinal) { "used_memory", "maxmemory", "rdb_changes_since_last_save" };

        /// <summary>
        /// The worse of two masters' values of a field: any policy that evicts before noeviction;
        /// otherwise the lower ("0" before "1" for a flag, "err" before "ok" for a status).
        /// </summary>
        private static string Worse(string field, string a, string b)
        {
            if (field == "maxmemory_policy") return IsNoEviction(a) ? b : a;
            return string.CompareOrdinal(b, a) < 0 ? b : a;
        }

        private static bool IsNoEviction(string policy) => string.Equals(policy, "noeviction", StringComparison.OrdinalIgnoreCase);

        private static Dictionary<string, string> ParseInfo(RedisResult? info)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var text = info is null || info.IsNull ? null : (string?)info;
            if (text is null) return values;
            foreach (var line in text.Split('\n'))
            {
                var colon = line.IndexOf(':');
                if (line.Length == 0 || line[0] == '#' || colon <= 0) continue;
                values[line.Substring(0, colon)] = line.Substring(colon + 1).TrimEnd('\r');
            }

            return values;
        }

        private static string? Get(Dictionary<string, string> info, string name) =>
            info.TryGetValue(name, out var value) ? value : null;

        private static long? GetLong(Dictionary<string, string> info, string name) =>
            info.TryGetValue(name, out var value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;
    }
}
