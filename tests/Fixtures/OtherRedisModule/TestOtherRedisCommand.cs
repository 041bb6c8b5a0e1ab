using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.Loader;
using StackExchange.Redis;

namespace OtherRedisModule
{
    /// <summary>PINGs a server through this module's StackExchange.Redis and says which one answered.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "OtherRedis")]
    [OutputType(typeof(OtherRedisResult))]
    public sealed class TestOtherRedisCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        public string ConnectionString { get; set; } = null!;

        protected override void ProcessRecord()
        {
            using var connection = ConnectionMultiplexer.Connect(ConnectionString);
            var reply = connection.GetDatabase().Execute("PING");
            var assembly = typeof(ConnectionMultiplexer).Assembly;
            WriteObject(new OtherRedisResult
            {
                Reply = reply.ToString() ?? string.Empty,
                RedisVersion = FileVersionInfo.GetVersionInfo(assembly.Location).FileVersion ?? string.Empty,
                LoadContext = AssemblyLoadContext.GetLoadContext(assembly)?.Name ?? string.Empty,
            });
        }
    }

    public sealed class OtherRedisResult
    {
        public string Reply { get; set; } = string.Empty;

        public string RedisVersion { get; set; } = string.Empty;

        public string LoadContext { get; set; } = string.Empty;
    }
}
