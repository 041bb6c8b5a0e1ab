using System.Text.Json;
using System.Text.Json.Serialization;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// The viewer's own JSON settings, so that mounting it never changes the host's. The default
    /// encoder escapes HTML-significant and control characters, so a log field can neither
    /// break out of a JSON string nor span lines of an event stream.
    /// </summary>
    internal static class ViewerJson
    {
        public static JsonSerializerOptions Options { get; } = Create();

        private static JsonSerializerOptions Create()
        {
            var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
            options.Converters.Add(new JsonStringEnumConverter());
            options.MakeReadOnly(populateMissingResolver: true);
            return options;
        }
    }
}
