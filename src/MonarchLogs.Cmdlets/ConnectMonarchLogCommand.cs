using System.Management.Automation;
using MonarchLogs.Cmdlets.Infrastructure;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Connects to a store and makes it the default of this session: later MonarchLogs commands
    /// without -ConnectionString use it, on the same shared connection. It checks the server
    /// answers and the credential is accepted before it changes the default.
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "MonarchLog")]
    [OutputType(typeof(MonarchConnectionInfo))]
    public sealed class ConnectMonarchLogCommand : MonarchCommandBase
    {
        protected override void ProcessRecord()
        {
            var target = ResolveTarget();
            var store = OpenStore(target);
            var services = Await(store.GetServicesAsync(StopToken), target.DisplayName);
            SessionConnections.SetSessionDefault(target);
            WriteObject(new MonarchConnectionInfo
            {
                Server = target.Servers,
                User = target.Credential?.UserName ?? string.Empty,
                Prefix = target.Prefix,
                Services = services.Count,
            });
        }
    }
}
