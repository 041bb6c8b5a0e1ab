using System;
using System.IO;
using System.IO.Compression;
using System.Reflection;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// The gzip compressor of an archive: zlib level <see cref="Level"/> where the runtime lets a
    /// caller choose it (.NET 9 and later, whose zlib-ng makes level 2 about twice as fast as the
    /// default level 6 for a file a quarter larger), else <see cref="CompressionLevel.Fastest"/>.
    /// Either way the file is one standard gzip member, which every gzip reader reads.
    /// </summary>
    internal static class ArchiveCompression
    {
        /// <summary>The zlib level used where the runtime takes one.</summary>
        public const int Level = 2;

        private static readonly (ConstructorInfo Constructor, Type Options, PropertyInfo Level)? LevelApi = FindLevelApi();

        /// <summary>A gzip stream that compresses into <paramref name="file"/> and leaves it open when disposed.</summary>
        public static Stream Create(Stream file)
        {
            if (LevelApi is not { } api) return new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
            var options = Activator.CreateInstance(api.Options)!;
            api.Level.SetValue(options, Level);
            return (Stream)api.Constructor.Invoke(new object[] { file, options, true });
        }

        /// <summary><c>GZipStream(Stream, ZLibCompressionOptions, bool)</c> and the option's level; null where the runtime has none (.NET 8, .NET Framework).</summary>
        private static (ConstructorInfo, Type, PropertyInfo)? FindLevelApi()
        {
            var options = typeof(GZipStream).Assembly.GetType("System.IO.Compression.ZLibCompressionOptions", throwOnError: false);
            var level = options?.GetProperty("CompressionLevel", BindingFlags.Public | BindingFlags.Instance);
            var constructor = options is null ? null : typeof(GZipStream).GetConstructor(new[] { typeof(Stream), options, typeof(bool) });
            return options is null || level is null || constructor is null ? null : (constructor, options, level);
        }
    }
}
