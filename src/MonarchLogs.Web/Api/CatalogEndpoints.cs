using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>api/services and api/levels: what the store holds, from its partition registry.</summary>
    internal static class CatalogEndpoints
    {
        public sealed record ServiceList(IReadOnlyList<string> Services);

        public sealed record LevelList(IReadOnlyList<MonarchLogLevel> Levels);

        public static async Task<IResult> GetServicesAsync(HttpContext context, LogStore store) =>
            Results.Json(new ServiceList(await store.GetServicesAsync(context.RequestAborted).ConfigureAwait(false)), ViewerJson.Options);

        public static async Task<IResult> GetLevelsAsync(HttpContext context, LogStore store) =>
            Results.Json(new LevelList(await store.GetLevelsAsync(context.RequestAborted).ConfigureAwait(false)), ViewerJson.Options);
    }
}
