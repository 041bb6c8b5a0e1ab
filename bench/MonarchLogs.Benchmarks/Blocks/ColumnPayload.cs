using System.Buffers;
using System.Text;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Benchmarks.Blocks;

/// <summary>
/// The column-wise candidate, measured against Core's row-wise JSON lines: a block's values
/// field by field (event times as zigzag varint deltas of 100 ns ticks, event ids as zigzag
/// varints, every text field as varint length + UTF-8 bytes), so that like values sit together
/// before zstd sees them. Reads back exactly, so that its decode cost is a fair one.
/// </summary>
internal static class ColumnPayload
{
    private static readonly Func<MonarchLogEntry, string>[] TextColumns =
    {
        e => e.Category, e => e.Message, e => e.Template, e => e.EventName, e => e.ExceptionType, e => e.ExceptionMessage,
        e => e.Exception, e => e.TraceId, e => e.SpanId, e => e.Host, e => e.Properties,
    };

    public static byte[] Encode(IReadOnlyList<MonarchLogEntry> entries)
    {
        var output = new ArrayBufferWriter<byte>(entries.Count * 512);
        var previous = 0L;
        foreach (var entry in entries)
        {
            var ticks = BlockHeader.ToUnixTicks(entry.Timestamp);
            WriteVarint(output, ZigZag(ticks - previous));
            previous = ticks;
        }

        foreach (var entry in entries) WriteVarint(output, ZigZag(entry.EventId));
        foreach (var column in TextColumns)
        {
            foreach (var entry in entries)
            {
                var text = column(entry);
                var span = output.GetSpan(5 + Encoding.UTF8.GetMaxByteCount(text.Length));
                var length = Encoding.UTF8.GetBytes(text, span[5..]);
                var prefix = VarintLength((ulong)length);
                WriteVarint(span, (ulong)length);
                span.Slice(5, length).CopyTo(span[prefix..]);
                output.Advance(prefix + length);
            }
        }

        return output.WrittenSpan.ToArray();
    }

    public static List<MonarchLogEntry> Decode(ReadOnlySpan<byte> payload, int count, Partition partition)
    {
        var ticks = new long[count];
        var previous = 0L;
        for (var i = 0; i < count; i++) ticks[i] = previous += UnZigZag(ReadVarint(ref payload));
        var eventIds = new int[count];
        for (var i = 0; i < count; i++) eventIds[i] = (int)UnZigZag(ReadVarint(ref payload));
        var texts = new string[TextColumns.Length][];
        for (var c = 0; c < TextColumns.Length; c++)
        {
            texts[c] = new string[count];
            for (var i = 0; i < count; i++)
            {
                var length = (int)ReadVarint(ref payload);
                texts[c][i] = length == 0 ? string.Empty : Encoding.UTF8.GetString(payload[..length]);
                payload = payload[length..];
            }
        }

        var entries = new List<MonarchLogEntry>(count);
        for (var i = 0; i < count; i++)
        {
            entries.Add(new MonarchLogEntry
            {
                Timestamp = BlockHeader.FromUnixTicks(ticks[i]), Level = partition.Level, Service = partition.Service,
                Category = texts[0][i], Message = texts[1][i], Template = texts[2][i], EventId = eventIds[i], EventName = texts[3][i],
                ExceptionType = texts[4][i], ExceptionMessage = texts[5][i], Exception = texts[6][i], TraceId = texts[7][i],
                SpanId = texts[8][i], Host = texts[9][i], Properties = texts[10][i],
            });
        }

        return entries;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private static void WriteVarint(IBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        output.Advance(WriteVarint(span, value));
    }

    private static int WriteVarint(Span<byte> span, ulong value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[at++] = (byte)value;
        return at;
    }

    private static ulong ReadVarint(ref ReadOnlySpan<byte> payload)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = payload[0];
            payload = payload[1..];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
