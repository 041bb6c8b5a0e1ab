using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace MonarchLogs.Web.Hosting
{
    /// <summary>
    /// The page's three files, embedded in the assembly (Assets/), read once and served with an
    /// ETag so a browser revalidates instead of downloading them again.
    /// </summary>
    internal sealed class ViewerAssets
    {
        private static readonly Lazy<ViewerAssets> Instance = new Lazy<ViewerAssets>(() => new ViewerAssets());

        private readonly Dictionary<string, Asset> _assets = new Dictionary<string, Asset>(StringComparer.Ordinal);

        private ViewerAssets()
        {
            Add("index.html", "text/html; charset=utf-8");
            Add("app.js", "text/javascript; charset=utf-8");
            Add("app.css", "text/css; charset=utf-8");
        }

        public static ViewerAssets Current => Instance.Value;

        public IResult Serve(HttpContext context, string name)
        {
            var asset = _assets[name];
            var headers = context.Response.Headers;
            headers.ETag = asset.ETag;
            headers.CacheControl = "no-cache";
            if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.Bytes(asset.Content, asset.ContentType);
        }

        private void Add(string name, string contentType)
        {
            var resource = "MonarchLogs.Web.Assets." + name;
            using var stream = typeof(ViewerAssets).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The embedded resource {resource} is missing from the build.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var etag = "\"" + Convert.ToHexString(SHA256.HashData(content), 0, 8) + "\"";
            _assets[name] = new Asset(content, contentType, new EntityTagHeaderValue(etag).ToString());
        }

        private sealed record Asset(byte[] Content, string ContentType, string ETag);
    }
}
