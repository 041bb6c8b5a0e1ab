using System.Text;

namespace MonarchLogs.Benchmarks.Reporting;

/// <summary>
/// Prose for the results file, wrapped so that it can be pasted into the docs as it is. A line
/// never starts with what markdown would read as a new list item, quote or heading.
/// </summary>
public static class MarkdownText
{
    public const int Width = 100;

    /// <summary>A list item: <paramref name="lead"/> and the text, continuation lines indented under it.</summary>
    public static string ListItem(string lead, string text)
    {
        var result = new StringBuilder();
        var line = new StringBuilder("- " + lead);
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length + 1 + word.Length > Width && line.Length > 2 && !StartsBlock(word))
            {
                result.AppendLine(line.ToString());
                line.Clear().Append("  ").Append(word);
                continue;
            }

            if (line.Length > 0 && line[^1] != ' ') line.Append(' ');
            line.Append(word);
        }

        result.AppendLine(line.ToString());
        return result.ToString();
    }

    /// <summary>A table cell: one line, pipes escaped.</summary>
    public static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    // "-", "+", "*" and "1." or "1)" open a list, ">" a quote, "#" a heading, "|" may be read as a table row.
    private static bool StartsBlock(string word) =>
        word is "-" or "+" or "*" ||
        word[0] is '>' or '#' or '|' ||
        (word.Length >= 2 && (word[^1] is '.' or ')') && word[..^1].All(char.IsAsciiDigit));
}
