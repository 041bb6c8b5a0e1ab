using System.Text;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// A TextWriter that throws its text away but counts it, to prove that the console logger
/// really formatted and wrote every line while costing no terminal I/O.
/// </summary>
public sealed class CountingNullWriter : TextWriter
{
    private long _chars;
    private long _lines;

    public override Encoding Encoding => Encoding.UTF8;

    public long Chars => Interlocked.Read(ref _chars);

    public long Lines => Interlocked.Read(ref _lines);

    public override void Write(char value)
    {
        Interlocked.Increment(ref _chars);
        if (value == '\n') Interlocked.Increment(ref _lines);
    }

    public override void Write(string? value)
    {
        if (value is not null) Count(value.AsSpan());
    }

    public override void Write(char[] buffer, int index, int count) => Count(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Count(buffer);

    private void Count(ReadOnlySpan<char> text)
    {
        Interlocked.Add(ref _chars, text.Length);
        var lines = text.Count('\n');
        if (lines > 0) Interlocked.Add(ref _lines, lines);
    }
}
