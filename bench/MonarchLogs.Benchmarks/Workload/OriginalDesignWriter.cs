using System.Globalization;
using MonarchLogs.Core;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>
/// The write path of the original design (the design note for the Python service,
/// ValkeyLogHandler.handle), as faithfully as C# allows: per entry, one awaited command after
/// another, XADD of the JSON to a daily stream, three ZADDs into the timestamp, level and
/// service indexes, HSET of the metadata hash, then the retention scan (HGETALL of the metadata
/// and a date check per stream). Only the score differs: structlog's ISO timestamp is not a
/// valid ZADD score, so the score is the event time in Unix seconds, as the design's intent.
/// </summary>
public sealed class OriginalDesignWriter
{
    private const string MetadataKey = "logs:metadata";
    private const string TimestampIndexKey = "logs:index:timestamp";
    private readonly IDatabase _db;
    private readonly int _retentionDays;

    public OriginalDesignWriter(IDatabase db, int retentionDays = 30)
    {
        _db = db;
        _retentionDays = retentionDays;
    }

    public async Task HandleAsync(MonarchLogEntry logEvent)
    {
        var logJson = RawJson.Serialize(logEvent);
        var streamKey = "logs:" + DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var entryId = await _db.StreamAddAsync(streamKey, "data", logJson).ConfigureAwait(false);

        var timestamp = (logEvent.Timestamp - DateTime.UnixEpoch).TotalSeconds;
        var level = LogLevels.StorageName(logEvent.Level);
        var service = logEvent.Service;
        await _db.SortedSetAddAsync(TimestampIndexKey, entryId, timestamp).ConfigureAwait(false);
        await _db.SortedSetAddAsync("logs:index:level:" + level, entryId, timestamp).ConfigureAwait(false);
        await _db.SortedSetAddAsync("logs:index:service:" + service, entryId, timestamp).ConfigureAwait(false);

        await _db.HashSetAsync(MetadataKey, streamKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ConfigureAwait(false);
        await ApplyRetentionPolicyAsync().ConfigureAwait(false);
    }

    private async Task ApplyRetentionPolicyAsync()
    {
        var allStreams = await _db.HashGetAllAsync(MetadataKey).ConfigureAwait(false);
        var cutoffDate = DateTime.Now - TimeSpan.FromDays(_retentionDays);
        foreach (var stream in allStreams)
        {
            var streamKey = (string)stream.Name!;
            var streamDate = DateTime.ParseExact(streamKey.Split(':')[^1], "yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (streamDate < cutoffDate)
            {
                await _db.KeyDeleteAsync(streamKey).ConfigureAwait(false);
                await _db.HashDeleteAsync(MetadataKey, streamKey).ConfigureAwait(false);
            }
        }
    }
}
