using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The folders of MonarchLogs.Core are layers, and each uses only the layers below it (the
    /// README's table says so). Read from the source by the compiler, so a new reference the wrong
    /// way fails here, not in a review.
    /// </summary>
    public sealed class LayeringTests
    {
        /// <summary>
        /// Core's namespaces (its folders), lowest first; a namespace may use those of the layers
        /// before its own, never one of its own layer or above.
        /// </summary>
        internal static readonly string[][] Layers =
        {
            new[] { "" },                              // the root: entries, levels, the errors and their classification
            new[] { "Format" },                        // key names, fields, encoding, the format version
            new[] { "Connection" },                    // connecting, the settings of a store, checking the user and the certificate
            new[] { "Query", "Append" },               // reading (merged, filtered); writing (one append per partition, Sentinel)
            new[] { "Tail", "Statistics", "Archive" }, // live tail; counts per minute; archive files, export and import
            new[] { "Retention", "Upgrade" },          // trims and archives what is past the retention period; upgrades format 1 to 2
            new[] { "Storage" },                       // the LogStore façade, the shared stores of a host, the store status
        };

        private static string CoreFolder()
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "MonarchLogs.sln"))) return Path.Combine(folder.FullName, "src", "MonarchLogs.Core");
            }

            throw new DirectoryNotFoundException("The repository root (MonarchLogs.sln) is not above " + AppContext.BaseDirectory);
        }

        private static IEnumerable<string> CoreSourceFiles()
        {
            var core = CoreFolder();
            return Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
                .Where(path => !Path.GetRelativePath(core, path).Split(Path.DirectorySeparatorChar).Any(part => part == "bin" || part == "obj"))
                .OrderBy(path => path, StringComparer.Ordinal);
        }

        [Fact]
        public void Each_folder_of_Core_uses_only_the_layers_below_it()
        {
            var core = CoreFolder();
            var references = NamespaceDependencies.Read(CoreSourceFiles().Select(path => (Path.GetRelativePath(core, path), File.ReadAllText(path))));

            // The check sees the references that the layers allow, too: it reads what it should.
            Assert.Contains(references, r => r.From == "Storage" && r.To == "Query");
            Assert.Contains(references, r => r.From == "Query" && r.To == "Connection");
            Assert.Empty(NamespaceDependencies.Violations(references, Layers));
        }

        [Fact]
        public void Every_file_of_Core_declares_the_namespace_of_its_folder()
        {
            var core = CoreFolder();
            var wrong = new List<string>();
            foreach (var path in CoreSourceFiles())
            {
                var relative = Path.GetRelativePath(core, path);
                var folder = Path.GetDirectoryName(relative)!.Replace(Path.DirectorySeparatorChar, '.');
                var expected = folder.Length == 0 ? NamespaceDependencies.Root : NamespaceDependencies.Root + "." + folder;
                var declared = File.ReadLines(path).Select(line => line.Trim()).Where(line => line.StartsWith("namespace ", StringComparison.Ordinal))
                    .Select(line => line.Substring("namespace ".Length).TrimEnd(';', ' ', '{')).ToList();
                // Polyfills of the framework's own types (netstandard2.0) keep the framework's namespaces.
                declared.RemoveAll(ns => !ns.StartsWith(NamespaceDependencies.Root, StringComparison.Ordinal));
                if (declared.Any(ns => ns != expected)) wrong.Add($"{relative}: {string.Join(", ", declared)} (expected {expected})");
            }

            Assert.Empty(wrong);
            Assert.Equal(
                Layers.SelectMany(layer => layer).Where(name => name.Length > 0).OrderBy(name => name, StringComparer.Ordinal),
                Directory.EnumerateDirectories(core).Select(Path.GetFileName).Where(name => name != "bin" && name != "obj").OrderBy(name => name, StringComparer.Ordinal));
        }

        [Fact]
        public void The_check_finds_a_reference_up_a_reference_across_a_layer_and_a_cycle()
        {
            var references = NamespaceDependencies.Read(new[]
            {
                ("Format/Key.cs", "namespace MonarchLogs.Core.Format { public sealed class Key { public MonarchLogs.Core.Connection.Link? Link; } }"),
                ("Connection/Link.cs", "using MonarchLogs.Core.Format;\nnamespace MonarchLogs.Core.Connection { public sealed class Link { public Key? Key; } }"),
                ("Query/Reader.cs", "namespace MonarchLogs.Core.Query { public sealed class Reader { public Append.Writer? Writer; } }"),
                ("Append/Writer.cs", "namespace MonarchLogs.Core.Append { public sealed class Writer { } }"),
            });

            Assert.Equal(new[]
            {
                "Format uses Connection, a higher layer: Format/Key.cs:1 MonarchLogs.Core.Connection, Format/Key.cs:1 MonarchLogs.Core.Connection.Link",
                "Query uses Append, a namespace of the same layer: Query/Reader.cs:1 MonarchLogs.Core.Append, Query/Reader.cs:1 MonarchLogs.Core.Append.Writer",
                "cycle: Connection -> Format -> Connection",
            }, NamespaceDependencies.Violations(references, Layers));
        }
    }
}
