using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MonarchLogs.Core.Tests
{
    /// <summary>One use, in the source of one namespace of Core, of a symbol of another.</summary>
    internal sealed record NamespaceReference(string From, string To, string File, int Line, string Symbol)
    {
        public override string ToString() => $"{File}:{Line} {Symbol}";
    }

    /// <summary>
    /// Which namespaces of MonarchLogs.Core use which, read from the source by the compiler: every
    /// name in the code (a using directive, a type, a member, an extension method, <c>var</c>) is
    /// bound to its symbol, and the symbol's namespace is what the code depends on. A namespace is
    /// named by its first part under MonarchLogs.Core (<c>Query</c> for MonarchLogs.Core.Query.X);
    /// the root namespace is the empty name. Doc comments are not code and are left out.
    /// </summary>
    internal static class NamespaceDependencies
    {
        public const string Root = "MonarchLogs.Core";

        /// <summary>
        /// The references between namespaces of <paramref name="sources"/> (path and text), compiled
        /// as the net8.0 build of Core is; a compilation error fails the call, since a name that
        /// does not bind would be a reference missed.
        /// </summary>
        public static IReadOnlyList<NamespaceReference> Read(IEnumerable<(string Path, string Text)> sources)
        {
            var parse = new CSharpParseOptions(LanguageVersion.Latest, preprocessorSymbols: new[] { "NET", "NET8_0", "NET8_0_OR_GREATER", "NET6_0_OR_GREATER", "NET5_0_OR_GREATER", "NETCOREAPP" });
            var trees = sources.Select(source => CSharpSyntaxTree.ParseText(source.Text, parse, source.Path)).ToList();
            var compilation = CSharpCompilation.Create(
                "MonarchLogs.Core.Layers",
                trees,
                References(),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).ToList();
            if (errors.Count > 0) throw new InvalidOperationException("Core's source does not compile here: " + string.Join("; ", errors));

            var references = new List<NamespaceReference>();
            foreach (var tree in trees)
            {
                var model = compilation.GetSemanticModel(tree);
                var root = tree.GetRoot();
                var declared = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().ToList();
                if (declared.Count == 0) continue;
                foreach (var node in root.DescendantNodes())
                {
                    if (!(node is SimpleNameSyntax || node is ImplicitObjectCreationExpressionSyntax)) continue;
                    if (node.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(ns => ns.Name.Span.Contains(node.Span))) continue;
                    var info = model.GetSymbolInfo(node);
                    var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
                    var to = symbol is null ? null : NameOf(NamespaceOf(symbol));
                    if (to is null) continue;
                    var enclosing = node.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault() ?? declared[0];
                    var from = NameOf(enclosing.Name.ToString());
                    if (from is null || from == to) continue;
                    var line = tree.GetLineSpan(node.Span).StartLinePosition.Line + 1;
                    references.Add(new NamespaceReference(from, to, tree.FilePath, line, symbol!.ToDisplayString()));
                }
            }

            return references;
        }

        /// <summary>
        /// What breaks the layers: a namespace in no layer, a reference to a namespace of the same
        /// layer or one above, and every cycle. Empty when the dependencies point down only.
        /// </summary>
        /// <param name="layers">The layers, lowest first; a namespace may use only those of lower layers.</param>
        public static IReadOnlyList<string> Violations(IReadOnlyList<NamespaceReference> references, IReadOnlyList<string[]> layers)
        {
            var layerOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < layers.Count; i++)
            {
                foreach (var name in layers[i]) layerOf.Add(name, i);
            }

            var violations = new List<string>();
            foreach (var unknown in references.SelectMany(r => new[] { r.From, r.To }).Distinct().Where(n => !layerOf.ContainsKey(n)).OrderBy(n => n, StringComparer.Ordinal))
            {
                violations.Add($"{Display(unknown)} is in no layer: add it to the layer order.");
            }

            foreach (var pair in references.Where(r => layerOf.ContainsKey(r.From) && layerOf.ContainsKey(r.To) && layerOf[r.To] >= layerOf[r.From])
                         .GroupBy(r => (r.From, r.To)).OrderBy(g => g.Key.From, StringComparer.Ordinal).ThenBy(g => g.Key.To, StringComparer.Ordinal))
            {
                var direction = layerOf[pair.Key.To] == layerOf[pair.Key.From] ? "a namespace of the same layer" : "a higher layer";
                violations.Add($"{Display(pair.Key.From)} uses {Display(pair.Key.To)}, {direction}: " + string.Join(", ", pair.Take(3)) + (pair.Count() > 3 ? $" and {pair.Count() - 3} more" : string.Empty));
            }

            foreach (var cycle in Cycles(references))
            {
                violations.Add("cycle: " + string.Join(" -> ", cycle.Append(cycle[0]).Select(Display)));
            }

            return violations;
        }

        /// <summary>The namespaces that reach each other (strongly connected, more than one), each in an order its references follow.</summary>
        private static IEnumerable<IReadOnlyList<string>> Cycles(IReadOnlyList<NamespaceReference> references)
        {
            var edges = references.GroupBy(r => r.From, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(r => r.To).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
            var nodes = references.SelectMany(r => new[] { r.From, r.To }).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToList();
            var reached = nodes.ToDictionary(n => n, n => Reachable(n, edges), StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in nodes)
            {
                if (seen.Contains(node) || !reached[node].Contains(node)) continue;
                var component = nodes.Where(other => reached[node].Contains(other) && reached[other].Contains(node)).ToList();
                seen.UnionWith(component);
                yield return PathThrough(component, edges);
            }
        }

        private static HashSet<string> Reachable(string start, Dictionary<string, List<string>> edges)
        {
            var reached = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>();
            pending.Push(start);
            while (pending.Count > 0)
            {
                if (!edges.TryGetValue(pending.Pop(), out var next)) continue;
                foreach (var to in next)
                {
                    if (reached.Add(to)) pending.Push(to);
                }
            }

            return reached;
        }

        /// <summary>The shortest way along the references from the component's first namespace back to it, without that last step.</summary>
        private static IReadOnlyList<string> PathThrough(List<string> component, Dictionary<string, List<string>> edges)
        {
            var start = component[0];
            var cameFrom = new Dictionary<string, string>(StringComparer.Ordinal);
            var pending = new Queue<string>();
            pending.Enqueue(start);
            while (pending.Count > 0)
            {
                var at = pending.Dequeue();
                foreach (var to in edges[at].Where(component.Contains))
                {
                    if (to == start)
                    {
                        var path = new List<string> { at };
                        while (path[0] != start) path.Insert(0, cameFrom[path[0]]);
                        return path;
                    }

                    if (cameFrom.ContainsKey(to)) continue;
                    cameFrom[to] = at;
                    pending.Enqueue(to);
                }
            }

            throw new InvalidOperationException("A component of a cycle without a way back: " + string.Join(", ", component));
        }

        private static string Display(string name) => name.Length == 0 ? Root : name;

        /// <summary>The namespace's name under <see cref="Root"/> (its first part), or null when it is not Core's.</summary>
        private static string? NameOf(string? fullName)
        {
            if (fullName is null) return null;
            if (fullName == Root) return string.Empty;
            if (!fullName.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
            var rest = fullName.Substring(Root.Length + 1);
            var dot = rest.IndexOf('.');
            return dot < 0 ? rest : rest.Substring(0, dot);
        }

        private static string? NamespaceOf(ISymbol symbol) => symbol switch
        {
            INamespaceSymbol ns => ns.IsGlobalNamespace ? null : ns.ToDisplayString(),
            IArrayTypeSymbol array => NamespaceOf(array.ElementType),
            _ => symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
        };

        /// <summary>The framework and packages this test runs on, Core's own assemblies left out (their types come from the source).</summary>
        private static IEnumerable<MetadataReference> References() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(path => !Path.GetFileName(path).StartsWith("MonarchLogs.", StringComparison.OrdinalIgnoreCase))
                .Select(path => MetadataReference.CreateFromFile(path));
    }
}
