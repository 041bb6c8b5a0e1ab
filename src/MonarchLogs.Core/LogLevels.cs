using System;
using System.Collections.Generic;

namespace MonarchLogs.Core
{
    /// <summary>Level names as users type them, and as the storage format writes them.</summary>
    public static class LogLevels
    {
        /// <summary>Every level, lowest first.</summary>
        public static IReadOnlyList<MonarchLogLevel> All { get; } = new[]
        {
            MonarchLogLevel.Trace, MonarchLogLevel.Debug, MonarchLogLevel.Information,
            MonarchLogLevel.Warning, MonarchLogLevel.Error, MonarchLogLevel.Critical,
        };

        /// <summary>The accepted spellings, for completion and error messages.</summary>
        public static IReadOnlyList<string> AcceptedNames { get; } = new[]
        {
            "Trace", "Verbose", "Debug", "Information", "Info", "Warning", "Warn", "Error", "Err", "Critical", "Fatal", "Crit",
        };

        /// <summary>Reads a level name in any accepted spelling (see <see cref="AcceptedNames"/>), ignoring case; false for anything else.</summary>
        public static bool TryParse(string? text, out MonarchLogLevel level)
        {
            switch ((text ?? string.Empty).Trim().ToLowerInvariant())
            {
                case "trace": case "verbose": case "trc": level = MonarchLogLevel.Trace; return true;
                case "debug": case "dbg": level = MonarchLogLevel.Debug; return true;
                case "information": case "info": case "inf": level = MonarchLogLevel.Information; return true;
                case "warning": case "warn": case "wrn": level = MonarchLogLevel.Warning; return true;
                case "error": case "err": case "fail": level = MonarchLogLevel.Error; return true;
                case "critical": case "fatal": case "crit": case "crt": level = MonarchLogLevel.Critical; return true;
                default: level = default; return false;
            }
        }

        /// <summary>Reads a level name in any accepted spelling (see <see cref="AcceptedNames"/>), ignoring case.</summary>
        /// <exception cref="FormatException">The text names no level.</exception>
        public static MonarchLogLevel Parse(string text)
        {
            if (TryParse(text, out var level)) return level;
            throw new FormatException($"'{text}' is not a log level. Use one of: {string.Join(", ", AcceptedNames)}.");
        }

        /// <summary>The lower-case name the storage format uses in keys and in the level field.</summary>
        public static string StorageName(MonarchLogLevel level) => level switch
        {
            MonarchLogLevel.Trace => "trace",
            MonarchLogLevel.Debug => "debug",
            MonarchLogLevel.Information => "information",
            MonarchLogLevel.Warning => "warning",
            MonarchLogLevel.Error => "error",
            MonarchLogLevel.Critical => "critical",
            _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown log level."),
        };
    }
}
