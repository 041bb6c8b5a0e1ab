using System.Globalization;

namespace MonarchLogs.Benchmarks.Reporting;

/// <summary>Numbers as the table shows them: invariant culture, few digits.</summary>
public static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Count(long n) => n switch
    {
        >= 1_000_000 when n % 1_000_000 == 0 => (n / 1_000_000).ToString(Invariant) + "M",
        >= 1_000 when n % 1_000 == 0 => (n / 1_000).ToString(Invariant) + "k",
        _ => n.ToString("N0", Invariant),
    };

    public static string Rate(double perSecond) => perSecond.ToString("N0", Invariant) + " /s";

    public static string Ms(double ms) => Math.Abs(ms) switch
    {
        >= 10_000 => (ms / 1000).ToString("0.0", Invariant) + " s",
        >= 100 => ms.ToString("0", Invariant) + " ms",
        >= 10 => ms.ToString("0.0", Invariant) + " ms",
        _ => ms.ToString("0.00", Invariant) + " ms",
    };

    public static string Us(double us) => us.ToString(us >= 100 ? "0" : "0.0", Invariant) + " µs";

    public static string Ns(double ns) => ns.ToString("0", Invariant) + " ns";

    public static string Bytes(double bytes) => bytes.ToString("0", Invariant) + " B";

    public static string Ratio(double ratio) => double.IsFinite(ratio) ? ratio.ToString(ratio >= 10 ? "0" : "0.00", Invariant) + "×" : "n/a";

    public static string Number(double value, string format = "0.0") => value.ToString(format, Invariant);
}
