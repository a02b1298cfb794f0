using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DeepScratch.Tests.Data;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 serving fixed files (path -> bytes), 404 for anything else, and recording what was
/// asked. The only server the download tests ever contact.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly IReadOnlyDictionary<string, byte[]> _files;
    private readonly Task _loop;

    public LocalHttpServer(IReadOnlyDictionary<string, byte[]> files)
    {
        _files = files;
        for (int attempt = 1; ; attempt++)
        {
            var listener = new HttpListener();
            var baseUri = new Uri($"http://127.0.0.1:{FreePort()}/");
            listener.Prefixes.Add(baseUri.ToString());
            try
            {
                listener.Start();
                _listener = listener;
                BaseUri = baseUri;
                break;
            }
            catch (HttpListenerException) when (attempt < 50)
            {
                // Someone took the port between our probe and Start: try another one.
                listener.Close();
            }
        }

        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    /// <summary>The paths requested, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public Uri Url(string path) => new(BaseUri, path);

    /// <summary>A client that never uses a proxy and gives up quickly, so a bug cannot hang the suite.</summary>
    public static HttpClient CreateClient() => new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>A port on 127.0.0.1 that nothing listens on (a connection to it is refused).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                string path = context.Request.Url!.AbsolutePath;
                Requests.Enqueue(path);
                var response = context.Response;
                if (_files.TryGetValue(path, out byte[]? body))
                {
                    response.StatusCode = 200;
                    response.ContentType = "application/octet-stream";
                    response.ContentLength64 = body.Length;
                    await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
                }
                else
                {
                    response.StatusCode = 404;
                }

                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client went away; serve the next request.
            }
        }
    }
}
