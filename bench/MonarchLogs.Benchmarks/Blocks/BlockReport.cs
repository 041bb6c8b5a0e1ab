using System.Text;

namespace MonarchLogs.Benchmarks.Blocks;

/// <summary>The block measurements as markdown: a heading, a few words, and tables.</summary>
public sealed class BlockReport
{
    private readonly StringBuilder _text = new();

    public void Heading(string text)
    {
        _text.AppendLine().AppendLine("## " + text).AppendLine();
        Console.WriteLine();
        Console.WriteLine("  ## " + text);
    }

    public void Paragraph(string text)
    {
        _text.AppendLine(text).AppendLine();
        Console.WriteLine("  " + text);
    }

    public Table NewTable(params string[] columns) => new(this, columns);

    public override string ToString() => _text.ToString();

    public sealed class Table
    {
        private readonly BlockReport _report;

        internal Table(BlockReport report, string[] columns)
        {
            _report = report;
            Line(columns);
            Line(columns.Select(_ => "---").ToArray());
        }

        public void Row(params string[] cells) => Line(cells);

        public void End() => _report._text.AppendLine();

        private void Line(string[] cells)
        {
            var line = "| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |";
            _report._text.AppendLine(line);
            Console.WriteLine("  " + line);
        }
    }
}
